/*
 * lightning/messageService, stood in (Lightning Message Service, from Salesforce's "Communicate
 * Across the DOM with Lightning Message Service" guide): `publish(messageContext, channel,
 * message)` delivers a copy of the message to every subscription of that channel, the
 * publisher's own included; `subscribe(messageContext, channel, listener, {scope})` answers a
 * subscription object that `unsubscribe` ends; `MessageContext` is a wire adapter giving a
 * component its context. A channel is what `@salesforce/messageChannel/…` imports (its name
 * here, as sfdx-lwc-jest resolves it). Every page area is active, so APPLICATION_SCOPE and the
 * default scope deliver alike.
 *
 * Delivery comes after the publisher's turn (a microtask), to the subscriptions there were when
 * it published, each in subscription order.
 */

/** Deliver to subscribers in every area of the app, not only the active one. */
export const APPLICATION_SCOPE = Symbol('APPLICATION_SCOPE');

let nextContext = 1;
let nextSubscription = 1;
const subscriptions = new Map(); // id → {channel, listener, context}
const log = [];
/** The messages `published()` keeps, the latest (a view a second for hours would be a lot). */
const LOG_SIZE = 1000;

/** A context for a component (the wire gives one per component). */
export function createMessageContext() {
    return Object.freeze({ id: nextContext++ });
}

/** Ends a context's subscriptions. */
export function releaseMessageContext(messageContext) {
    subscriptions.forEach((s, id) => {
        if (s.context === messageContext) {
            subscriptions.delete(id);
        }
    });
}

/** The wire adapter `@wire(MessageContext) messageContext;`: a context once connected. */
export class MessageContext {
    constructor(dataCallback) {
        this.dataCallback = dataCallback;
        this.context = null;
    }
    connect() {
        this.context = createMessageContext();
        this.dataCallback(this.context);
    }
    update() {
        if (this.context) {
            this.dataCallback(this.context);
        }
    }
    disconnect() {
        if (this.context) {
            releaseMessageContext(this.context);
        }
        this.context = null;
    }
}

function channelName(channel) {
    if (typeof channel === 'string' && channel) {
        return channel;
    }
    throw new Error('lightning/messageService: a message channel (from @salesforce/messageChannel/…) is required');
}

/** Publishes `message` (a serializable object) on `channel`. */
export function publish(messageContext, channel, message) {
    const name = channelName(channel);
    // A message is serialized between areas: what a subscriber gets is a copy.
    const copy = message === undefined ? undefined : structuredClone(message);
    log.push({ channel: name, message: copy, at: Date.now() });
    if (log.length > LOG_SIZE) {
        log.splice(0, log.length - LOG_SIZE);
    }
    const listeners = [];
    subscriptions.forEach((s) => {
        if (s.channel === name) {
            listeners.push(s);
        }
    });
    Promise.resolve().then(() => {
        listeners.forEach((s) => {
            // Ended since: no more deliveries.
            if (!subscriptions.has(s.id)) {
                return;
            }
            try {
                s.listener(copy === undefined ? undefined : structuredClone(copy));
            } catch (e) {
                // One subscriber's failure does not stop the others' deliveries.
                setTimeout(() => {
                    throw e;
                });
            }
        });
    });
}

/** Subscribes `listener` to `channel`; answers the subscription. */
export function subscribe(messageContext, channel, listener, subscriberOptions) {
    const name = channelName(channel);
    if (typeof listener !== 'function') {
        throw new Error('lightning/messageService: subscribe needs a listener function');
    }
    const id = nextSubscription++;
    subscriptions.set(id, { id, channel: name, listener, context: messageContext, scope: subscriberOptions && subscriberOptions.scope });
    return Object.freeze({ id, channel: name });
}

/** Ends a subscription (a null or ended one is ignored). */
export function unsubscribe(subscription) {
    if (subscription && subscriptions.has(subscription.id)) {
        subscriptions.delete(subscription.id);
    }
}

/** The stand-in's record of the messages published, in order (the latest 1000; for tests). */
export function published() {
    return log.slice();
}

/** How many subscriptions each channel has now (for tests). */
export function subscribers() {
    const count = {};
    subscriptions.forEach((s) => {
        count[s.channel] = (count[s.channel] || 0) + 1;
    });
    return count;
}
