import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSesServer, startSesServer } from '../../../local/aws/ses-server.ts';

let server: LocalSesServer;
let ses: SESClient;

const errorOf = (promise: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> =>
  promise.then(
    () => ({ name: 'no error', message: '' }),
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
    }),
  );

beforeAll(async () => {
  server = await startSesServer();
  ses = new SESClient({
    endpoint: server.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  ses.destroy();
  await server.stop();
});

describe('local SES', () => {
  it('accepts SendEmail and keeps the message in the outbox', async () => {
    const sent = await ses.send(
      new SendEmailCommand({
        Source: 'PEC <no-reply@pec.example>',
        Destination: {
          ToAddresses: ['mario.rossi@example.com', 'anna.bianchi@example.com'],
          CcAddresses: ['cc@example.com'],
          BccAddresses: ['audit@example.com'],
        },
        ReplyToAddresses: ['support@pec.example'],
        Message: {
          Subject: { Data: 'Attiva la tua casella PEC & <benvenuto>', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Imposta la password: https://pec.example/setup?token=abc_123-XYZ' },
            Html: { Data: '<p>Imposta la <b>password</b> è facile</p>' },
          },
        },
        ConfigurationSetName: 'transactional',
        Tags: [{ Name: 'kind', Value: 'activation' }],
      }),
    );
    expect(sent.MessageId).toMatch(/\S{20,}/);
    expect(sent.$metadata.requestId).toBeTruthy();

    const [message] = server.outbox.messages();
    expect(message).toMatchObject({
      id: sent.MessageId,
      to: ['mario.rossi@example.com', 'anna.bianchi@example.com'],
      cc: ['cc@example.com'],
      bcc: ['audit@example.com'],
      from: 'PEC <no-reply@pec.example>',
      replyTo: ['support@pec.example'],
      subject: 'Attiva la tua casella PEC & <benvenuto>',
      text: 'Imposta la password: https://pec.example/setup?token=abc_123-XYZ',
      html: '<p>Imposta la <b>password</b> è facile</p>',
      configurationSetName: 'transactional',
      tags: { kind: 'activation' },
    });
    expect(new Date(message?.sentAt ?? '').toISOString()).toBe(message?.sentAt);
  });

  it('keeps messages oldest first and lets a test wait for one still to come', async () => {
    const waiting = server.outbox.waitFor((message) => message.subject === 'later', 10_000);
    await ses.send(
      new SendEmailCommand({
        Source: 'no-reply@pec.example',
        Destination: { ToAddresses: ['later@example.com'] },
        Message: { Subject: { Data: 'later' }, Body: { Text: { Data: 'only text' } } },
      }),
    );
    const message = await waiting;
    expect(message).toMatchObject({ to: ['later@example.com'], text: 'only text', html: '' });
    expect(server.outbox.messages().at(-1)?.id).toBe(message.id);
    expect(await server.outbox.waitFor((m) => m.subject === 'later', 0)).toEqual(message);
  });

  it('rejects a message without Source or recipients with Query-protocol errors', async () => {
    const before = server.outbox.messages().length;
    const noSource = await errorOf(
      ses.send(
        new SendEmailCommand({
          Source: undefined as unknown as string,
          Destination: { ToAddresses: ['a@example.com'] },
          Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
        }),
      ),
    );
    expect(noSource).toMatchObject({ name: 'ValidationError', status: 400 });
    const noRecipient = await errorOf(
      ses.send(
        new SendEmailCommand({
          Source: 'no-reply@pec.example',
          Destination: {},
          Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
        }),
      ),
    );
    expect(noRecipient).toMatchObject({ name: 'MessageRejected', status: 400 });
    expect(server.outbox.messages()).toHaveLength(before);
  });

  it('answers an unknown action with an InvalidAction error document', async () => {
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=SendBounce&Version=2010-12-01',
    });
    expect(response.status).toBe(400);
    const xml = await response.text();
    expect(xml).toContain('<Type>Sender</Type><Code>InvalidAction</Code>');
    expect(xml).toMatch(/<RequestId>[0-9a-f-]+<\/RequestId><\/ErrorResponse>$/);
  });
});
