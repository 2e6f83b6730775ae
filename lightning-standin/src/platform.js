/*
 * What the stand-in's platform modules share: the page standing in for Salesforce (the "host":
 * its org, its console's navigation and workspace tabs), given once by `start`, and the wire
 * adapters whose value the host changes (the page reference, whether the app is a console).
 */

let current = null;

/** The host page's side, as `start(host)` gave it. */
export function host() {
    if (!current) {
        throw new Error('the Lightning stand-in was not started: call StandinLightning.start(host) first');
    }
    return current;
}

/** Gives the platform its host (the org, the console). */
export function setHost(value) {
    current = value;
}

/**
 * A wire adapter whose every instance has the latest value the host pushed (`push`), from the
 * moment its component connects: the shape of Salesforce's `CurrentPageReference` and
 * `IsConsoleNavigation` (an adapter class with connect, update and disconnect).
 */
export function pushedAdapter(initial) {
    let value = initial;
    const connected = new Set();
    class Adapter {
        constructor(dataCallback) {
            this.dataCallback = dataCallback;
        }
        connect() {
            connected.add(this);
            this.dataCallback(value);
        }
        update() {
            this.dataCallback(value);
        }
        disconnect() {
            connected.delete(this);
        }
    }
    return {
        Adapter,
        push(next) {
            value = next;
            connected.forEach((a) => a.dataCallback(value));
        },
        get value() {
            return value;
        }
    };
}
