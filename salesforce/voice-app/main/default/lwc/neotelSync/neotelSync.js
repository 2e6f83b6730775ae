/*
 * W-SYNC under Salesforce Voice: the new record popped for the contact carries a fresh
 * neoSyncId__c; once the agent saved it, the core links it (when Salesforce shows it, or by
 * hand with this button). Shown while a new record waits (`view.sync`) or the core has a sync
 * notice for the agent.
 */
import NeotelElement from 'c/neotelElement';

/** The core's notices about the new record (W-SYNC). */
const SYNC_NOTICES = ['newRecord', 'noSyncRecord', 'nothingToSync'];

export default class NeotelSync extends NeotelElement {
    get sends() {
        return ['syncRecord'];
    }

    get shown() {
        return !!this.ready && (!!this.view.sync || this.notices.length > 0 || !!this.refusal);
    }

    get heading() {
        return this.ui('sync');
    }

    get syncText() {
        const s = this.view.sync;
        if (!s) {
            return '';
        }
        return (s.linked ? this.ui('synced') : this.ui('syncPending')) + ' (neoSyncId__c ' + s.syncId + ')';
    }

    get notices() {
        return ((this.view && this.view.warnings) || [])
            .filter((w) => SYNC_NOTICES.includes(w.code))
            .map((w, i) => ({ key: i + ':' + w.code, text: this.say(w) }));
    }

    get hasNotices() {
        return this.notices.length > 0;
    }

    get syncDisabled() {
        return !this.actions.sync;
    }

    sync() {
        this.send({ command: 'syncRecord' });
    }
}
