/*
 * What an own-domain order's wait for its MX records costs, read from an execution history: the
 * states entered (each a state transition, as Step Functions bills them) within a stretch of
 * simulated time, where the time is the sum of the timeouts of the DNS waits that ran out. The
 * checks themselves take no simulated time (a Lambda run of well under a second, against waits of
 * minutes), so a run whose waits last milliseconds stands for one whose waits last hours.
 */

/** The history events this reads (the SDK's HistoryEvent and the local stand-in's record both fit). */
export interface HistoryEventLike {
  type?: string | undefined;
  stateEnteredEventDetails?: unknown;
  taskScheduledEventDetails?: unknown;
}

/** The state whose timeout is the interval between two checks. */
export const DNS_WAIT_STATE = 'WaitForDns';

/**
 * The state transitions of an execution that happen within `seconds` of simulated time from its
 * start, the DNS checks among them, the simulated time its DNS waits covered in all, and when the
 * wait that ran past `seconds` ended (undefined while none has).
 */
export function transitionsWithin(
  history: readonly HistoryEventLike[],
  seconds: number,
): { transitions: number; simulatedSeconds: number; checks: number; crossedAtSeconds: number | undefined } {
  let simulated = 0;
  let state: string | undefined;
  let scheduledTimeout = 0;
  let transitions = 0;
  let checks = 0;
  let crossedAtSeconds: number | undefined;
  for (const event of history) {
    if (event.type?.endsWith('StateEntered')) {
      state = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
      if (simulated <= seconds) {
        transitions++;
        if (state === 'CheckDomainDns') checks++;
      }
    } else if (event.type === 'TaskScheduled' && state === DNS_WAIT_STATE) {
      scheduledTimeout = (event.taskScheduledEventDetails as { timeoutInSeconds?: number } | undefined)
        ?.timeoutInSeconds as number;
      if (!(scheduledTimeout > 0)) throw new Error(`${DNS_WAIT_STATE} was scheduled without a timeout`);
    } else if (event.type === 'TaskTimedOut' && state === DNS_WAIT_STATE) {
      simulated += scheduledTimeout;
      if (crossedAtSeconds === undefined && simulated > seconds) crossedAtSeconds = simulated;
    }
  }
  return { transitions, simulatedSeconds: simulated, checks, crossedAtSeconds };
}
