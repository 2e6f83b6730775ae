/*
 * What the page hands the base, in the order the server sent it, and only once the base can
 * take it. The workaround for two 3.6.2 pitfalls (scv.md §1.9):
 * - P1: `publishEvent({eventType: undefined})` falls into the base's `case
 *   EVENT_TYPE.REMOTE_CONTROLLER` (a constant 3.6.2 lacks) and feeds the payload to the base as
 *   if Salesforce had sent it; an unknown string vanishes silently. Only the binding's known
 *   event types are published; anything else is dropped and logged.
 * - P2: `publishEvent` before SETUP_CONNECTOR throws (no port yet). Everything waits behind a
 *   gate the core opens once the base has taken `init()`'s answer.
 * One chain keeps the server's order: `publishEvent` is async (PARTICIPANT_REMOVED asks
 * getActiveCalls(), CALL_CONNECTED may disconnect a supervisor first), and the active calls the
 * base reads must be the ones the server had sent before that event.
 */

export class EventQueue {
  /**
   * @param {object} base the binding (`eventTypes`, `errorEventTypes`, `publishEvent`, `publishError`)
   * @param {object} log a console
   */
  constructor(base, log) {
    this.base = base;
    this.log = log;
    this.opened = false;
    this.chain = new Promise((resolve) => { this.openGate = resolve; });
  }

  /** Lets everything queued so far through, in order. */
  open() {
    this.opened = true;
    this.openGate();
  }

  /** Runs `op` after everything queued before it; a failure is logged, the queue goes on. */
  run(op) {
    this.chain = this.chain.then(op).catch((e) => this.log.error('scv-connector: queued step failed', e));
    return this.chain;
  }

  /** Publishes one event (the guard, P1); false when refused. */
  publish(eventType, payload) {
    if (typeof eventType !== 'string' || !this.base.eventTypes.has(eventType)) {
      this.log.error('scv-connector: event type dropped (unknown to the base)', eventType);
      return false;
    }
    this.run(() => this.base.publishEvent({ eventType, payload }));
    return true;
  }

  /** Publishes one error for `eventType` (the base words it as its error code); false when refused. */
  publishError(eventType, error) {
    if (typeof eventType !== 'string' || !this.base.errorEventTypes.has(eventType)) {
      this.log.error('scv-connector: error event type dropped (unknown to the base)', eventType);
      return false;
    }
    this.run(() => this.base.publishError({ eventType, error }));
    return true;
  }
}
