/*
 * lightning/navigation, stood in (Salesforce's "Navigate to Pages" guide and the PageReference
 * types): `NavigationMixin(Base)` adds `[NavigationMixin.Navigate](pageReference, replace)` (the
 * console shows the page: a record page, an object's home or its new-record modal with
 * `state.defaultFieldValues`, the search page) and `[NavigationMixin.GenerateUrl](pageReference)`
 * (a promise of the page's URL); `CurrentPageReference` is the wire adapter of the page shown.
 * What each page reference shows is the host's (the stand-in console's) to say.
 */
import { host, pushedAdapter } from '../../platform';

const Navigate = Symbol('Navigate');
const GenerateUrl = Symbol('GenerateUrl');

/** Adds Salesforce's navigation to a component class. */
export function NavigationMixin(Base) {
    return class extends Base {
        [Navigate](pageReference, replace) {
            host().navigate(checked(pageReference), !!replace);
        }

        [GenerateUrl](pageReference) {
            return Promise.resolve().then(() => host().url(checked(pageReference)));
        }
    };
}
NavigationMixin.Navigate = Navigate;
NavigationMixin.GenerateUrl = GenerateUrl;

/** A page reference is an object with a `type` (`standard__recordPage`…). */
function checked(pageReference) {
    if (!pageReference || typeof pageReference !== 'object' || typeof pageReference.type !== 'string') {
        throw new Error('lightning/navigation: a page reference with a type is required');
    }
    return pageReference;
}

const page = pushedAdapter(null);

/** The wire adapter `@wire(CurrentPageReference)`: the page the component is on. */
export const CurrentPageReference = page.Adapter;

/** The host says the page changed (every CurrentPageReference wire gets it). */
export function pageChanged(pageReference) {
    page.push(pageReference || null);
}
