import type { PreparedMachine } from './definition.ts';

/*
 * The shapes the stand-in's parts share: an execution as it runs, its record and its history.
 */

export type LocalHistoryEvent = {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type LocalExecutionRecord = {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The input as given to StartExecution (a JSON string). */
  input: string;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: LocalHistoryEvent[];
  /** How many times it was redriven (RedriveExecution). */
  redriveCount?: number;
};

/** One execution and what its task handlers and history need while it runs. */
export type Execution = {
  record: LocalExecutionRecord;
  machine: PreparedMachine;
  /** `$$.Task`: `Token` (minted when read) and the running task's timeout. */
  taskContext: Record<string, unknown>;
  /** The token minted by a `$$.Task.Token` read, not yet bound to a task attempt. */
  unboundToken?: string | undefined;
  /** The rejects of the (non-callback) task handlers running now, to end them when the execution stops. */
  inflight: Set<(error: Error) => void>;
  /** Per state: its last effective parameters and result, for the history. */
  lastParams: Map<string, unknown>;
  lastResult: Map<string, unknown>;
  /** `<state>#<index>` attempts that failed, so their exit is not recorded as a success. */
  failedAttempts: Set<string>;
  abortDetails?: { error?: string; cause?: string };
  abort?: () => void;
  done?: Promise<void>;
};
