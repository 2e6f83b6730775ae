/*
 * F-INFO under Salesforce Voice: the agent's state, the call's Neotel data (the last call id is
 * 0 once the call ends: the core's rule, drawn as given), the record matched, and what the core
 * says the agent should know (warnings, the last error).
 */
import NeotelElement from 'c/neotelElement';

/** The view's `info` fields and their labels, in the Open CTI panel's order. */
const FIELDS = [
    ['lastCallId', 'lastCall'],
    ['contactId', 'contactId'],
    ['baseId', 'baseId'],
    ['crmId', 'crmId'],
    ['searchKey', 'searchKey']
];

export default class NeotelInfo extends NeotelElement {
    get heading() {
        return this.words ? this.ui('info') : 'Neotel';
    }

    get status() {
        return this.say(this.view.statusLabel);
    }

    get fields() {
        const info = this.view.info || {};
        return FIELDS.map(([field, label]) => ({
            key: field,
            labelKey: field + ':label',
            label: this.ui(label),
            value: info[field] === null || info[field] === undefined ? '' : String(info[field])
        }));
    }

    get privateText() {
        return this.view.contact && this.view.contact.private ? this.ui('private') : '';
    }

    get recordText() {
        const record = this.view.contact && this.view.contact.record;
        if (!record) {
            return '';
        }
        return this.ui('record') + ': ' + (record.name || record.id) + ' (' + record.objectType + ')';
    }

    get notices() {
        return (this.view.warnings || []).map((w, i) => ({ key: i + ':' + w.code, text: this.say(w) }));
    }

    get hasNotices() {
        return this.notices.length > 0;
    }

    get errorText() {
        return this.view.error ? this.say(this.view.error) : '';
    }
}
