/*
 * lightning-combobox, stood in (Salesforce's component reference): a labelled choice among
 * `options` (`[{label, value}]`), showing `value` (the `placeholder` when no option has it),
 * `disabled`, `required`, `variant` ("label-hidden" hides the label from sight, not from screen
 * readers). Picking an option sets `value` and fires `change` with `detail.value`. A native
 * select stands for Salesforce's dropdown.
 */
import { LightningElement, api } from 'lwc';

export default class Combobox extends LightningElement {
    @api label;
    @api name;
    @api placeholder = 'Select an Option';
    @api disabled = false;
    @api required = false;
    @api variant = 'standard';
    @api fieldLevelHelp;

    current = null;
    list = [];

    @api
    get value() {
        return this.current;
    }
    set value(v) {
        this.current = v === undefined ? null : v;
    }

    @api
    get options() {
        return this.list;
    }
    set options(v) {
        this.list = Array.isArray(v) ? v : [];
    }

    get choices() {
        return this.list.map((o, i) => ({
            key: i + ':' + o.value,
            label: o.label,
            value: o.value,
            selected: o.value === this.current
        }));
    }

    /** No option has the value: the placeholder shows. */
    get unset() {
        return !this.list.some((o) => o.value === this.current);
    }

    get labelClass() {
        return this.variant === 'label-hidden' ? 'assistive' : 'label';
    }

    picked(event) {
        event.stopPropagation();
        this.current = event.target.value;
        this.dispatchEvent(new CustomEvent('change', { detail: { value: this.current } }));
    }

    renderedCallback() {
        // The select shows the value even when the options arrived after it.
        const select = this.template.querySelector('select');
        if (select && !this.unset && select.value !== this.current) {
            select.value = this.current;
        }
    }

    /** Focuses the choice. */
    @api
    focus() {
        const select = this.template.querySelector('select');
        if (select) {
            select.focus();
        }
    }

    @api
    checkValidity() {
        return !this.required || !this.unset;
    }

    @api
    reportValidity() {
        return this.checkValidity();
    }
}
