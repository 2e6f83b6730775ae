/*
 * W-SCREENPOP under Salesforce Voice: several records matched the call and no rule chose one;
 * the view lists them (`contact.candidates`) and the agent picks one (`pickRecord`). Shown only
 * while there are records to pick from.
 */
import NeotelElement from 'c/neotelElement';

export default class NeotelRecordPicker extends NeotelElement {
    get sends() {
        return ['pickRecord'];
    }

    get candidates() {
        const contact = this.view && this.view.contact;
        return ((contact && contact.candidates) || []).map((c) => ({
            id: c.id,
            label: c.objectType + ': ' + (c.name || c.id)
        }));
    }

    get shown() {
        return !!this.words && this.candidates.length > 0;
    }

    get heading() {
        return this.ui('pick');
    }

    pick(event) {
        this.send({ command: 'pickRecord', id: event.target.dataset.record });
    }
}
