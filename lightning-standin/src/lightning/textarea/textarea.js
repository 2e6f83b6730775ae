/*
 * lightning-textarea, stood in (Salesforce's component reference): a labelled multi-line field
 * with `value`, `placeholder`, `disabled`, `required`, `max-length`, `variant`; `change` fires
 * with `detail.value` on each keystroke.
 */
import { LightningElement, api } from 'lwc';

export default class Textarea extends LightningElement {
    @api label;
    @api name;
    @api placeholder;
    @api disabled = false;
    @api required = false;
    @api readOnly = false;
    @api maxLength;
    @api variant = 'standard';

    current = '';

    @api
    get value() {
        return this.current;
    }
    set value(v) {
        this.current = v === null || v === undefined ? '' : String(v);
    }

    get labelClass() {
        return this.variant === 'label-hidden' ? 'assistive' : 'label';
    }

    typed(event) {
        this.current = event.target.value;
        this.dispatchEvent(new CustomEvent('change', { detail: { value: this.current } }));
    }

    stop(event) {
        event.stopPropagation();
    }

    renderedCallback() {
        const area = this.template.querySelector('textarea');
        if (area && area.value !== this.current) {
            area.value = this.current;
        }
    }

    /** Focuses the field. */
    @api
    focus() {
        const area = this.template.querySelector('textarea');
        if (area) {
            area.focus();
        }
    }
}
