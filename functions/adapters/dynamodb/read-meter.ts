import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);

/**
 * Counts the read capacity units a client's reads consume (DynamoDB's `ConsumedCapacity`, asked for
 * on every read): what the sweep reports as its cost. `units()` is the running total.
 */
export function meterReads(client: DynamoDBDocumentClient): { units(): number } {
  let total = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!READS.has(String(context.commandName))) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      const consumed = (
        result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
      ).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        total += entry.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'pecReadMeter' },
  );
  return { units: () => total };
}
