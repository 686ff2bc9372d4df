import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOutbox, startSes } from '../../../local/aws/ses.ts';

let ses: Awaited<ReturnType<typeof startSes>>;
let client: SESClient;
let outbox: LocalOutbox;

beforeAll(async () => {
  ses = await startSes();
  outbox = ses.outbox;
  client = new SESClient({
    endpoint: ses.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local-send-first-access-email', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await ses.stop();
});

/** A SendEmail as the product's notifier sends it. */
const sendEmail = (to: string, subject: string, text: string, html: string) =>
  client.send(
    new SendEmailCommand({
      Source: 'no-reply@pec.example',
      Destination: { ToAddresses: [to] },
      Message: {
        Subject: { Data: subject, Charset: 'UTF-8' },
        Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
      },
      ConfigurationSetName: 'transactional',
    }),
  );

describe('local SES (aws-ses-v2-local)', () => {
  it("accepts the product's SendEmail and lists it in the outbox, in the contract's shape", async () => {
    const sent = await sendEmail(
      'mario.rossi@example.com',
      'Attiva la tua casella PEC & <benvenuto>',
      'Imposta la password: https://pec.example/setup?token=abc_123-XYZ',
      '<p>Imposta la <b>password</b> è facile</p>',
    );
    expect(sent.MessageId).toBeTruthy();

    const [message] = await outbox.messages();
    expect(message).toEqual({
      id: sent.MessageId,
      to: ['mario.rossi@example.com'],
      subject: 'Attiva la tua casella PEC & <benvenuto>',
      text: 'Imposta la password: https://pec.example/setup?token=abc_123-XYZ',
      html: '<p>Imposta la <b>password</b> è facile</p>',
      sentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
      tags: {},
    });
  });

  it("keeps each email's message tags, which SES hands back with its bounces", async () => {
    const sent = await client.send(
      new SendEmailCommand({
        Source: 'no-reply@pec.example',
        Destination: { ToAddresses: ['tagged@example.com'] },
        Message: { Subject: { Data: 'tagged' }, Body: { Text: { Data: 'a' } } },
        Tags: [
          { Name: 'mailbox', Value: 'aW5mb0BleGFtcGxlLml0' },
          { Name: 'kind', Value: 'first-access' },
        ],
      }),
    );
    const message = (await outbox.messages()).find((candidate) => candidate.id === sent.MessageId);
    expect(message?.tags).toEqual({ mailbox: 'aW5mb0BleGFtcGxlLml0', kind: 'first-access' });
  });

  it('keeps messages oldest first and lets a test wait for one still to come', async () => {
    const waiting = outbox.waitFor((message) => message.subject === 'later', 10_000);
    await sendEmail('first@example.com', 'sooner', 'a', '<p>a</p>');
    await sendEmail('later@example.com', 'later', 'b', '<p>b</p>');
    const message = await waiting;
    expect(message).toMatchObject({ to: ['later@example.com'], text: 'b' });
    expect((await outbox.messages()).map((m) => m.subject).slice(-2)).toEqual(['sooner', 'later']);
    await expect(outbox.waitFor((m) => m.subject === 'never', 50)).rejects.toThrow(/No matching email/);
  });
});
