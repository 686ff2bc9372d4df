import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { UploadedDocuments, UploadForms } from '../use-cases/ports.ts';

/**
 * Upload forms as S3 presigned POSTs on the audit bucket: the policy fixes the key, the content type
 * and the size range, so S3 itself refuses anything else. The bucket's default encryption (its KMS
 * key) encrypts every upload; its `documents/` lifecycle keeps them.
 */
export function s3UploadForms({ client, bucket }: { client: S3Client; bucket: string }): UploadForms {
  return {
    async form({ key, contentType, maxBytes, expiresSeconds }) {
      const { url, fields } = await createPresignedPost(client, {
        Bucket: bucket,
        Key: key,
        Fields: { 'Content-Type': contentType },
        Conditions: [
          ['content-length-range', 1, maxBytes],
          ['eq', '$Content-Type', contentType],
        ],
        Expires: expiresSeconds,
      });
      return { url, fields };
    },
  };
}

/** Whether an uploaded document is there: a HeadObject (metadata only; the document is never read). */
export function s3UploadedDocuments({ client, bucket }: { client: S3Client; bucket: string }): UploadedDocuments {
  return {
    async received(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
      }
    },
  };
}
