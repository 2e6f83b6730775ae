/*
 * lightning/platformWorkspaceApi, stood in (Salesforce's Lightning Console JavaScript API for
 * LWC): the console's workspace tabs. `IsConsoleNavigation` is the wire adapter saying whether
 * the app is a console (the stand-in's is); the methods answer promises of `tabInfo` objects
 * (`tabId`, `url`, `title`, `focused`, `pageReference`, `recordId`, `isSubtab`, `subtabs`…) from
 * the host's console, and reject when the console does not know the tab.
 */
import { host, pushedAdapter } from '../../platform';

const consoleApp = pushedAdapter(true);

/** The wire adapter `@wire(IsConsoleNavigation)`: true in a console app. */
export const IsConsoleNavigation = consoleApp.Adapter;

/** The host says whether its app is a console. */
export function setConsoleNavigation(on) {
    consoleApp.push(!!on);
}

function workspace() {
    if (!consoleApp.value) {
        return Promise.reject(new Error('lightning/platformWorkspaceApi works only in a Lightning console app'));
    }
    return Promise.resolve(host().workspace);
}

function known(tab, what) {
    if (!tab) {
        throw new Error('lightning/platformWorkspaceApi: no such tab (' + what + ')');
    }
    return tab;
}

/** The focused workspace tab. */
export function getFocusedTabInfo() {
    return workspace().then((w) => known(w.focusedTab(), 'none is focused'));
}

/** Workspace tab `tabId`. */
export function getTabInfo(tabId) {
    return workspace().then((w) => known(w.tab(tabId), tabId));
}

/** Every workspace tab, in order. */
export function getAllTabInfo() {
    return workspace().then((w) => w.tabs());
}

/** Focuses workspace tab `tabId`. */
export function focusTab(tabId) {
    return workspace().then((w) => {
        known(w.tab(tabId), tabId);
        w.focus(tabId);
    });
}

/** Opens a workspace tab on `pageReference`, `recordId` or `url` (focused unless `focus` is false); answers its id. */
export function openTab(options) {
    return workspace().then((w) => w.open(options || {}));
}

/** Closes workspace tab `tabId`. */
export function closeTab(tabId) {
    return workspace().then((w) => {
        known(w.tab(tabId), tabId);
        w.close(tabId);
    });
}
