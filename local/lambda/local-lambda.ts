import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = path.dirname(fileURLToPath(import.meta.url));
const BOOTSTRAP = path.join(here, 'bootstrap.mjs');
const COMPILE_CACHE_DIR = path.resolve(here, '../../node_modules/.cache/pec-local-lambda');
/** Lambda gives a function's initialisation 10 seconds, apart from the invocation's own timeout. */
const INIT_TIMEOUT_MS = 10_000;

/** What Lambda reports for a failed invocation; the state machine's Retry and Catch match `errorType`. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** A failed invocation, as the caller (Step Functions, API Gateway) sees it: `name` is the errorType. */
export class InvocationError extends Error {
  constructor(readonly lambdaError: LambdaError) {
    super(lambdaError.errorMessage);
    this.name = lambdaError.errorType;
  }
}

export interface LocalLambdaSpec {
  /** The function's name (its logical id locally). */
  name: string;
  arn: string;
  /** The directory of its bundle in the cloud assembly. */
  codeDir: string;
  /** `index.handler`: module file and export, as in the template. */
  handler: string;
  /** Every variable the environment has: the function's own, plus what Lambda itself sets. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Most environments this function runs at once; further invocations queue. */
  maxEnvironments: number;
  /**
   * Called with each line the environments write to stdout or stderr (what CloudWatch Logs would
   * get), which still reach this process's own output. Without it, the workers write straight there.
   */
  onLog?: (line: string) => void;
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  /** How long importing the bundle took, once ready. */
  importMs?: number;
  busy?: { id: string; settle: (outcome: { payload: string } | { error: LambdaError }) => void };
}

export interface InvocationRecord {
  function: string;
  coldStart: boolean;
  /** Worker start and bundle import, for a cold start. */
  initMs?: number;
  durationMs: number;
  errorType?: string;
}

/**
 * One Lambda function on this machine: every execution environment is a worker thread created with
 * only the function's own environment variables, which imports the function's bundle once (the cold
 * start) and runs one invocation at a time, as Lambda does. An invocation past the function's timeout
 * ends its environment (`Sandbox.Timedout`), so a slow step fails locally exactly as it would in AWS;
 * a crash ends only that environment (`Runtime.ExitError`), never the process.
 */
export class LocalLambda {
  readonly #idle: Environment[] = [];
  readonly #all = new Set<Environment>();
  readonly #waiting: ((acquired: { environment: Environment; coldStart: boolean }) => void)[] = [];
  #stopped = false;

  constructor(
    readonly spec: LocalLambdaSpec,
    private readonly onInvoked?: (record: InvocationRecord) => void,
  ) {}

  /** Invokes the function with `event` (passed through JSON both ways, as Lambda does). */
  async invoke(event: unknown): Promise<unknown> {
    const { environment, coldStart } = await this.#acquire();
    const started = performance.now();
    let initMs: number | undefined;
    let errorType: string | undefined;
    try {
      await environment.ready;
      if (coldStart) initMs = performance.now() - started;
      const outcome = await this.#run(environment, event);
      if ('error' in outcome) {
        errorType = outcome.error.errorType;
        throw new InvocationError(outcome.error);
      }
      return JSON.parse(outcome.payload) as unknown;
    } catch (error) {
      errorType ??= error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      this.#release(environment);
      this.onInvoked?.({
        function: this.spec.name,
        coldStart,
        ...(initMs === undefined ? {} : { initMs }),
        durationMs: performance.now() - started - (initMs ?? 0),
        ...(errorType ? { errorType } : {}),
      });
    }
  }

  /**
   * Starts one more environment apart from the others, reports how long its bundle took to import
   * (the cold start's own share, without the worker's start) and ends it.
   */
  async measureImport(): Promise<number> {
    const environment = this.#create();
    try {
      await environment.ready;
      return environment.importMs ?? Number.NaN;
    } finally {
      await this.#end(environment);
    }
  }

  /** Ends every environment. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#all].map((environment) => this.#end(environment)));
  }

  async #acquire(): Promise<{ environment: Environment; coldStart: boolean }> {
    if (this.#stopped) throw new Error(`${this.spec.name} is stopped`);
    const idle = this.#idle.pop();
    if (idle) return { environment: idle, coldStart: false };
    if (this.#all.size < this.spec.maxEnvironments) return { environment: this.#create(), coldStart: true };
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(environment: Environment): void {
    if (!this.#all.has(environment)) {
      // It ended (timeout, crash, failed init): a queued invocation gets a fresh one.
      const next = this.#waiting.shift();
      if (next && !this.#stopped) next({ environment: this.#create(), coldStart: true });
      return;
    }
    const next = this.#waiting.shift();
    if (next) next({ environment, coldStart: false });
    else this.#idle.push(environment);
  }

  #create(): Environment {
    const { spec } = this;
    const worker = new Worker(BOOTSTRAP, {
      workerData: { codeDir: spec.codeDir, handler: spec.handler, compileCacheDir: COMPILE_CACHE_DIR },
      env: spec.environment,
      execArgv: [],
      name: spec.name,
      ...(spec.onLog ? { stdout: true, stderr: true } : {}),
    });
    worker.unref();
    const { onLog } = spec;
    if (onLog) {
      for (const [stream, sink] of [
        [worker.stdout, process.stdout],
        [worker.stderr, process.stderr],
      ] as const) {
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
          sink.write(`${line}\n`);
          onLog(line);
        });
      }
    }
    const environment: Environment = { worker, ready: Promise.resolve() };
    environment.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#end(environment);
        reject(
          new InvocationError({
            errorType: 'Runtime.InitTimeout',
            errorMessage: `${spec.name} did not initialise within ${INIT_TIMEOUT_MS / 1000} seconds`,
            trace: [],
          }),
        );
      }, INIT_TIMEOUT_MS);
      worker.once('message', (message: { type: string; error?: LambdaError; importMs?: number }) => {
        clearTimeout(timer);
        if (message.type === 'ready') {
          environment.importMs = message.importMs;
          return resolve();
        }
        const error = message.error as LambdaError;
        console.error(`[${spec.name}] init failed: ${error.errorType}: ${error.errorMessage}`);
        this.#end(environment);
        reject(new InvocationError(error));
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        reject(new InvocationError({ errorType: 'Runtime.ExitError', errorMessage: 'The runtime exited', trace: [] }));
      });
    });
    environment.ready.catch(() => undefined);
    worker.on('message', (message: { type: string; id?: string; payload?: string; error?: LambdaError }) => {
      if (message.type !== 'result' && message.type !== 'error') return;
      const busy = environment.busy;
      if (!busy || busy.id !== message.id) return;
      environment.busy = undefined;
      const lost: LambdaError = { errorType: 'Runtime.Unknown', errorMessage: 'No error reported', trace: [] };
      busy.settle(
        message.type === 'result' ? { payload: message.payload ?? 'null' } : { error: message.error ?? lost },
      );
    });
    worker.on('error', (error) => {
      // An exception nobody caught (an unhandled rejection included) ends the environment, as in Lambda.
      console.error(`[${spec.name}] runtime crashed: ${error.name}: ${error.message}`);
      this.#fail(environment, { errorType: 'Runtime.ExitError', errorMessage: String(error.message), trace: [] });
    });
    worker.on('exit', () => {
      this.#fail(environment, { errorType: 'Runtime.ExitError', errorMessage: 'The runtime exited', trace: [] });
    });
    this.#all.add(environment);
    return environment;
  }

  #run(environment: Environment, event: unknown): Promise<{ payload: string } | { error: LambdaError }> {
    const { spec } = this;
    const id = randomUUID();
    const deadlineMs = Date.now() + spec.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (environment.busy?.id !== id) return;
        this.#fail(environment, {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        });
      }, spec.timeoutSeconds * 1000);
      environment.busy = {
        id,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      environment.worker.postMessage({
        id,
        event: JSON.stringify(event ?? null),
        context: {
          functionName: spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: spec.arn,
          memoryLimitInMB: String(spec.memoryMb),
          awsRequestId: id,
          logGroupName: `/aws/lambda/${spec.name}`,
          logStreamName: `local/${environment.worker.threadId}`,
          deadlineMs,
        },
      });
    });
  }

  /** Ends an environment, failing the invocation it was running (if any) with `error`. */
  #fail(environment: Environment, error: LambdaError): void {
    const busy = environment.busy;
    environment.busy = undefined;
    void this.#end(environment);
    busy?.settle({ error });
  }

  async #end(environment: Environment): Promise<void> {
    if (!this.#all.delete(environment)) return;
    const index = this.#idle.indexOf(environment);
    if (index >= 0) this.#idle.splice(index, 1);
    await environment.worker.terminate();
  }
}
