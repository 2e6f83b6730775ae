/*
 * The components' test bench: the message channel as Salesforce Voice's bridge uses it (the
 * connector's messages delivered to what the component subscribed; what it publishes read
 * back), the server's real catalogs, and views of the core in the states an agent meets.
 */
import { createElement } from 'lwc';
import { publish, subscribe } from 'lightning/messageService';

/** The channel as sfdx-lwc-jest resolves `@salesforce/messageChannel/…` (its name). */
export const CHANNEL = 'ServiceCloudVoiceMessageChannel__c';

/** The server's catalogs, the ones it sends in `catalog` messages. */
export const CATALOGS = {
    en: require('../../cti-server/web/softphone/i18n/en.json'),
    es: require('../../cti-server/web/softphone/i18n/es.json')
};

/** Creates the component, in the page. */
export function mount(tag, constructor) {
    const element = createElement(tag, { is: constructor });
    document.body.appendChild(element);
    return element;
}

/** Lets promises and the re-render settle. */
export function settle() {
    return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The connector publishes `payload` on the channel (as the bridge does, source CONNECTOR). */
export async function deliver(payload, source = 'CONNECTOR') {
    deliverNow(payload, source);
    await settle();
}

/** {@link deliver} without waiting for the re-render (for tests on jest's fake timers). */
export function deliverNow(payload, source = 'CONNECTOR') {
    subscribe.mock.calls
        .filter((call) => call[1] === CHANNEL)
        .forEach((call) => call[2]({ source, payload }));
}

/** The server's catalog in `language`, then `view`: what a component gets after its hello. */
export async function start(view, language = 'en') {
    await deliver({ neotel: 1, type: 'catalog', language, messages: CATALOGS[language] });
    await deliver({ neotel: 1, type: 'view', view });
}

/** Every payload the components published on the channel, in order. */
export function published() {
    return publish.mock.calls.filter((call) => call[1] === CHANNEL).map((call) => call[2]);
}

/** The core commands the components sent, in order. */
export function commands() {
    return published()
        .filter((m) => m.source === 'NEOTEL' && m.payload.type === 'command')
        .map((m) => m.payload.command);
}

/** One element by its data-id. */
export function byId(element, id) {
    return element.shadowRoot.querySelector(`[data-id="${id}"]`);
}

/** Fires a base component's `change` with `value` in its detail, as Lightning does. */
export async function change(input, value) {
    input.value = value;
    input.dispatchEvent(new CustomEvent('change', { detail: { value } }));
    await settle();
}

/** Clicks a base component's button. */
export async function click(button) {
    button.click();
    await settle();
}

/** A view of the core: an agent logged in, no campaign yet (every list of a first view). */
export function idleView(overrides = {}) {
    return Object.assign(
        {
            user: '1001',
            status: 'noCampaign',
            statusLabel: { code: 'statusNoCampaign' },
            campaign: null,
            breakId: null,
            call: null,
            contact: null,
            info: { lastCallId: 0, contactId: 0, baseId: 0, crmId: 0, searchKey: '' },
            lists: {
                breaks: [
                    { id: 1, name: 'Descanso' },
                    { id: 2, name: 'Tiempo Administrativo' }
                ],
                campaigns: [
                    { id: 97, name: 'SALESFORCE' },
                    { id: 98, name: 'SALESFORCE PREVIEW' }
                ],
                categories: [],
                transferPhones: [],
                queues: [],
                users: []
            },
            actions: actions({ joinCampaign: true }),
            sending: false,
            joinTargets: [97, 98],
            primary: 'joinCampaign',
            transfer: null,
            monitoring: null,
            settings: { widthPx: 620, heightPx: 420, minimizeOnNoMatch: false, minimizeOnSeveral: false, language: 'en' },
            sync: null,
            autoReleaseInSecs: null,
            sinceSecs: 3,
            warnings: [],
            error: null
        },
        overrides
    );
}

/** The view's `actions`, all false but those given. */
export function actions(allowed = {}) {
    const all = {};
    [
        'joinCampaign', 'leaveCampaign', 'takeBreak', 'endBreak', 'dial', 'hangup', 'dtmf', 'categorize',
        'release', 'schedule', 'play', 'transfer', 'endTransfer', 'startConference', 'invite',
        'endConference', 'monitor', 'endMonitor', 'sendText', 'sync'
    ].forEach((name) => {
        all[name] = !!allowed[name];
    });
    return all;
}

/** A predictive call's contact in wrap-up (protocol.md's example, after the hang-up). */
export function wrapUpView(overrides = {}) {
    return idleView(
        Object.assign(
            {
                status: 'wrapUp',
                statusLabel: { code: 'statusWrapUp' },
                campaign: 97,
                call: null,
                contact: {
                    handle: 3,
                    draft: { subcategory: null, notes: '', scheduleAt: null, schedulePhone: '' },
                    record: { id: '0038d0000000001AAA', objectType: 'Contact', name: 'María González' },
                    candidates: [],
                    private: false,
                    released: false,
                    scheduled: false
                },
                info: { lastCallId: 0, contactId: 1, baseId: 134, crmId: 4, searchKey: '0038d0000000001AAA' },
                lists: {
                    categories: [
                        { id: 26, name: 'Venta concretada', group: 'Venta' },
                        { id: 27, name: 'No interesado', group: 'Rechazo' },
                        { id: 28, name: 'Volver a llamar', group: 'Agenda', schedules: true }
                    ]
                },
                actions: actions({ categorize: true, release: true, schedule: true }),
                joinTargets: [],
                primary: 'categorize'
            },
            overrides
        )
    );
}
