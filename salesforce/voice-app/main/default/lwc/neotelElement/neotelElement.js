/*
 * What every Neotel component shares: it listens on the Salesforce Voice message channel for
 * what the connector publishes (the catalog, the core's view, refusals), says `hello` when it
 * appears, and sends the agent's commands. Each component draws from `view` and words its
 * texts with `words`; none decides anything.
 */
import { LightningElement, wire } from 'lwc';
import { APPLICATION_SCOPE, MessageContext, publish, subscribe, unsubscribe } from 'lightning/messageService';
import CHANNEL from '@salesforce/messageChannel/ServiceCloudVoiceMessageChannel__c';
import { FROM_COMPONENTS, FROM_CONNECTOR, Words, command, hello, isNeotel, mergeView } from 'c/neotelProtocol';

export default class NeotelElement extends LightningElement {
    @wire(MessageContext) messageContext;

    /** The core's last view (lists merged), or null before the first. */
    view = null;
    /** The agent's language's words, or null before the server's catalog. */
    words = null;
    /** The last refusal of a command this component sent (`{code, params}`), until it sends again. */
    refusal = null;

    subscription = null;
    helloRepeated = false;

    /** The commands this component sends: their refusals show in it. */
    get sends() {
        return [];
    }

    connectedCallback() {
        this.subscription = subscribe(this.messageContext, CHANNEL, (message) => this.received(message), {
            scope: APPLICATION_SCOPE
        });
        this.publish(hello());
    }

    disconnectedCallback() {
        unsubscribe(this.subscription);
        this.subscription = null;
    }

    received(message) {
        if (!message || message.source !== FROM_CONNECTOR || !isNeotel(message.payload)) {
            return;
        }
        const payload = message.payload;
        switch (payload.type) {
            case 'catalog':
                this.words = new Words(payload.language, payload.messages);
                break;
            case 'view': {
                const previous = this.view;
                this.view = mergeView(previous, payload.view);
                // A hello sent before the connector was up is lost (Salesforce delivers the bridge's
                // messages only once the connector is initialized): ask once more for the catalog.
                if (!this.words && !this.helloRepeated) {
                    this.helloRepeated = true;
                    this.publish(hello());
                }
                this.viewChanged(previous, this.view);
                break;
            }
            case 'roll':
                // The server calls the roll when a connector page attaches: a hello sent before
                // it was up never reached it, and the core's requests go only where one did.
                this.publish(hello());
                break;
            case 'refused':
                if (this.sends.includes(payload.command)) {
                    this.refusal = payload.message || { code: 'commandRefused' };
                }
                break;
            default:
        }
    }

    /** A new view came (`previous` may be null): for components that keep what the agent types. */
    // eslint-disable-next-line no-unused-vars
    viewChanged(previous, view) {}

    /** Sends a core command (`{command: 'joinCampaign', campaign: 97}`). */
    send(body) {
        this.refusal = null;
        this.publish(command(body));
    }

    publish(payload) {
        publish(this.messageContext, CHANNEL, { source: FROM_COMPONENTS, payload });
    }

    /** Both the view and the words are here: the component can draw. */
    get ready() {
        return !!(this.view && this.words);
    }

    /** A label in the agent's language. */
    ui(key) {
        return this.words ? this.words.ui(key) : '';
    }

    /** A message of the core in the agent's language. */
    say(message) {
        return this.words ? this.words.say(message) : '';
    }

    /** The last refusal, in words. */
    get refusalText() {
        return this.refusal ? this.say(this.refusal) : '';
    }

    get actions() {
        return (this.view && this.view.actions) || {};
    }
}
