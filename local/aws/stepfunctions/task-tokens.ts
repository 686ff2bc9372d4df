import { randomBytes } from 'node:crypto';
import { ApiError } from './errors.ts';

/*
 * The task tokens of `.waitForTaskToken` states. Each attempt of a callback state gets a fresh token
 * and waits for SendTaskSuccess / SendTaskFailure with it. A token whose task has completed, failed,
 * timed out or was dropped answers TaskTimedOut, a token never issued InvalidToken.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type Waiting = {
  owner: object;
  open: boolean;
  resolve(value: JsonValue): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
};

export class TaskTokens {
  /** Every token issued (closed ones too, to tell TaskTimedOut from InvalidToken). */
  readonly #issued = new Map<string, Waiting>();
  readonly #openByOwner = new Map<object, Set<Waiting>>();

  mint(): string {
    return `AQ${randomBytes(60).toString('base64url')}`;
  }

  /**
   * Waits for the outcome sent with `token`, on behalf of `owner` (an execution). After `timeoutMs`
   * the token is refused: the state's own timer raises States.Timeout right then, or, given
   * `timeoutError`, the wait ends with it (a timeout the stand-in overrides).
   * `fail` ends the wait early (the handler that was to deliver the token failed).
   */
  wait(
    token: string,
    owner: object,
    timeoutMs: number,
    timeoutError?: Error,
  ): { outcome: Promise<JsonValue>; fail(error: Error): void } {
    const { promise: outcome, resolve, reject } = Promise.withResolvers<JsonValue>();
    const entry: Waiting = {
      owner,
      open: true,
      resolve,
      reject,
      timer: setTimeout(() => (timeoutError ? this.#end(entry, timeoutError) : this.#close(entry)), timeoutMs),
    };
    this.#issued.set(token, entry);
    const open = this.#openByOwner.get(owner) ?? new Set();
    this.#openByOwner.set(owner, open.add(entry));
    return { outcome, fail: (error) => this.#end(entry, error) };
  }

  /** The open task a SendTaskSuccess / SendTaskFailure names, to complete or fail; the API's error otherwise. */
  take(token: unknown): { succeed(output: JsonValue): void; fail(error: Error): void } {
    if (typeof token !== 'string' || token.length === 0 || token.length > 1024) {
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value at 'taskToken' failed to satisfy constraint",
      );
    }
    const entry = this.#issued.get(token);
    if (!entry) throw new ApiError('InvalidToken', "Invalid Token: 'Invalid token'");
    if (!entry.open) throw new ApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    return {
      succeed: (output) => {
        this.#close(entry);
        entry.resolve(output);
      },
      fail: (error) => this.#end(entry, error),
    };
  }

  /** Refuses the open tokens of `owner` (a stopped execution), failing its waiting states with `error`. */
  drop(owner: object, error: Error): void {
    for (const entry of [...(this.#openByOwner.get(owner) ?? [])]) this.#end(entry, error);
  }

  #end(entry: Waiting, error: Error): void {
    if (!entry.open) return;
    this.#close(entry);
    entry.reject(error);
  }

  #close(entry: Waiting): void {
    entry.open = false;
    clearTimeout(entry.timer);
    const open = this.#openByOwner.get(entry.owner);
    open?.delete(entry);
    if (open?.size === 0) this.#openByOwner.delete(entry.owner);
  }
}
