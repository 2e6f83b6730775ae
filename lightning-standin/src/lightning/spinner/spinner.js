/*
 * lightning-spinner, stood in (Salesforce's component reference): a busy indicator with its
 * `alternative-text` for screen readers, `size` (small, medium, large) and `variant`.
 */
import { LightningElement, api } from 'lwc';

export default class Spinner extends LightningElement {
    @api alternativeText = 'Loading';
    @api size = 'medium';
    @api variant = 'base';

    get spinnerClass() {
        return 'spinner ' + (this.size || 'medium');
    }
}
