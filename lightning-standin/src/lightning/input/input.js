/*
 * lightning-input, stood in (Salesforce's component reference): a labelled field of `type`
 * text, tel, email, number, date, time (and the like), with `value`, `placeholder`, `disabled`,
 * `required`, `variant` ("label-hidden"). `change` fires with `detail.value` as the value changes
 * (on each keystroke for typed fields). Date values are ISO dates (2026-11-25); time values ISO
 * times (14:30:00.000), whatever the native picker that stands for Salesforce's shows.
 */
import { LightningElement, api } from 'lwc';

/** The types whose value is picked whole (a date, a time): `change` comes once it is. */
const PICKED = ['date', 'time', 'datetime', 'datetime-local', 'color', 'file'];

export default class Input extends LightningElement {
    @api label;
    @api name;
    @api placeholder;
    @api disabled = false;
    @api required = false;
    @api readOnly = false;
    @api variant = 'standard';
    @api min;
    @api max;
    @api step;
    @api fieldLevelHelp;

    kind = 'text';
    current = '';

    @api
    get type() {
        return this.kind;
    }
    set type(v) {
        this.kind = v || 'text';
    }

    @api
    get value() {
        return this.current;
    }
    set value(v) {
        this.current = v === null || v === undefined ? '' : String(v);
    }

    /** The native input's value: a time without its seconds and milliseconds. */
    get nativeValue() {
        return this.kind === 'time' ? this.current.slice(0, 5) : this.current;
    }

    get labelClass() {
        return this.variant === 'label-hidden' ? 'assistive' : 'label';
    }

    typed(event) {
        if (PICKED.includes(this.kind)) {
            return;
        }
        this.changed(event);
    }

    picked(event) {
        event.stopPropagation();
        if (PICKED.includes(this.kind)) {
            this.changed(event);
        }
    }

    changed(event) {
        const raw = event.target.value;
        this.current = this.kind === 'time' && raw ? raw.slice(0, 5) + ':00.000' : raw;
        this.dispatchEvent(new CustomEvent('change', { detail: { value: this.current } }));
    }

    renderedCallback() {
        // A value the component is given shows even while the field has the focus.
        const input = this.template.querySelector('input');
        if (input && input.value !== this.nativeValue) {
            input.value = this.nativeValue;
        }
    }

    /** Focuses the field. */
    @api
    focus() {
        const input = this.template.querySelector('input');
        if (input) {
            input.focus();
        }
    }

    @api
    checkValidity() {
        const input = this.template.querySelector('input');
        return input ? input.checkValidity() : true;
    }

    @api
    reportValidity() {
        return this.checkValidity();
    }
}
