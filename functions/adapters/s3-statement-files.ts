import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { StatementFiles } from '../use-cases/ports.ts';

/** The statements bucket, for the `defineConfig` of the function that reads it. */
export const statementsVariables = { STATEMENTS_BUCKET: z.string().min(1) };

/** Where the bank's files are put (and each new one is processed), and where refused ones are set aside. */
export const STATEMENT_PREFIXES = { incoming: 'incoming/', rejected: 'rejected/' } as const;

export interface StatementsBucket {
  client: S3Client;
  bucket: string;
}

/**
 * The statements bucket: files arrive under `incoming/`; one that cannot be applied is copied under
 * `rejected/` (same name), with `<name>.problems.json` beside it listing why. The original stays
 * where it arrived: the bucket is the record of what the bank sent.
 */
export function s3StatementFiles({ client, bucket }: StatementsBucket): StatementFiles {
  const get = async (key: string) => {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { key, text: Body ? await Body.transformToString('utf-8') : '' };
  };
  return {
    async read(key) {
      try {
        return await get(key);
      } catch (error) {
        // S3 event notifications give keys URL-encoded ("estratto conto.xml" as "estratto+conto.xml");
        // without s3:ListBucket a missing key is AccessDenied rather than NoSuchKey.
        const decoded = formDecoded(key);
        const missing = error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'AccessDenied');
        if (!missing || decoded === undefined || decoded === key) throw error;
        return get(decoded);
      }
    },

    async reject(key, problems) {
      const name = key.startsWith(STATEMENT_PREFIXES.incoming) ? key.slice(STATEMENT_PREFIXES.incoming.length) : key;
      const rejectedKey = `${STATEMENT_PREFIXES.rejected}${name}`;
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: rejectedKey,
          CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${rejectedKey}.problems.json`,
          Body: JSON.stringify({ key, problems }, null, 2),
          ContentType: 'application/json',
        }),
      );
      return rejectedKey;
    },
  };
}

/** `key` decoded as S3 event notifications encode it (`+` for a space, `%XX` escapes); undefined when malformed. */
function formDecoded(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The log line of a refused statement file; a metric filter counts it, and an alarm pages on it. */
export const STATEMENT_REJECTED_MESSAGE = 'Bank statement rejected: nothing applied';
