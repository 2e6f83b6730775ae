/*
 * F-SMS under Salesforce Voice: a text message to the customer by SMS or WhatsApp, while the
 * view allows it (`actions.sendText`, the call center's allowTextMessage). An empty number is
 * the call's (the core fills it in).
 */
import NeotelElement from 'c/neotelElement';

/** The channels Neotel sends by (their names are brands, the same in every language). */
const CHANNELS = [
    { label: 'SMS', value: 'sms' },
    { label: 'WhatsApp', value: 'whatsapp' }
];

export default class NeotelTextMessage extends NeotelElement {
    channel = 'sms';
    phone = '';
    text = '';

    get sends() {
        return ['sendText'];
    }

    viewChanged(previous, view) {
        // The message went: it is not left in the box for the next one.
        if (hasWarning(view, 'textSent') && !hasWarning(previous, 'textSent')) {
            this.text = '';
        }
    }

    get shown() {
        return !!(this.actions.sendText || this.view.sending);
    }

    get heading() {
        return this.words ? this.ui('textMessage') : 'Neotel';
    }

    get channelOptions() {
        return CHANNELS;
    }

    get callPhone() {
        return (this.view.call && this.view.call.phone) || '';
    }

    get sendDisabled() {
        return !this.actions.sendText;
    }

    get sentText() {
        const sent = ((this.view && this.view.warnings) || []).find((w) => w.code === 'textSent');
        return sent ? this.say(sent) : '';
    }

    get channelLabel() {
        return this.ui('channel');
    }

    get phoneLabel() {
        return this.ui('number');
    }

    get textLabel() {
        return this.ui('messageText');
    }

    get sendLabel() {
        return this.ui('send');
    }

    channelChanged(event) {
        this.channel = event.detail.value;
    }

    phoneChanged(event) {
        this.phone = event.detail.value;
    }

    textChanged(event) {
        this.text = event.detail.value;
    }

    sendText() {
        this.send({ command: 'sendText', channel: this.channel, phone: this.phone, text: this.text });
    }
}

function hasWarning(view, code) {
    return ((view && view.warnings) || []).some((w) => w.code === code);
}
