/*
 * The bridge as Salesforce Voice drives it: Salesforce sets `handleMessage` and calls
 * `publishMessage` with the connector's MESSAGE payloads. It relays both ways on the channel,
 * runs the core's requests with Salesforce's APIs (mocked: Apex, navigation, the UI API, the
 * workspace API) and answers each, and reports which record the agent looks at.
 */
import { publish, subscribe } from 'lightning/messageService';
import { CurrentPageReference } from 'lightning/navigation';
import { IsConsoleNavigation, getFocusedTabInfo, getTabInfo } from 'lightning/platformWorkspaceApi';
import { encodeDefaultFieldValues } from 'lightning/pageReferenceUtils';
import { createRecord, updateRecord } from 'lightning/uiRecordApi';
import searchRecords from '@salesforce/apex/NeotelLightning.searchRecords';
import readRecord from '@salesforce/apex/NeotelLightning.readRecord';
import findCallLog from '@salesforce/apex/NeotelLightning.findCallLog';
import NeotelBridge from 'c/neotelBridge';
import { CHANNEL, mount, published, settle } from 'neotel-test';

// Navigation as sfdx-lwc-jest stubs it, with every Navigate recorded.
const mockNavigate = jest.fn();
jest.mock('lightning/navigation', () => {
    const { createTestWireAdapter } = require('@salesforce/wire-service-jest-util');
    const Navigate = Symbol('Navigate');
    const GenerateUrl = Symbol('GenerateUrl');
    const NavigationMixin = (Base) =>
        class extends Base {
            [Navigate](pageReference) {
                mockNavigate(pageReference);
            }
            [GenerateUrl]() {
                return Promise.resolve('');
            }
        };
    NavigationMixin.Navigate = Navigate;
    NavigationMixin.GenerateUrl = GenerateUrl;
    return { NavigationMixin, CurrentPageReference: createTestWireAdapter(jest.fn()) };
});
jest.mock('@salesforce/apex/NeotelLightning.searchRecords', () => ({ default: jest.fn() }), { virtual: true });
jest.mock('@salesforce/apex/NeotelLightning.readRecord', () => ({ default: jest.fn() }), { virtual: true });
jest.mock('@salesforce/apex/NeotelLightning.findCallLog', () => ({ default: jest.fn() }), { virtual: true });

/** The bridge as Salesforce mounts it, with the connector's side recorded. */
function bridge() {
    const element = mount('c-neotel-bridge', NeotelBridge);
    const toConnector = jest.fn();
    element.handleMessage = toConnector;
    return { element, toConnector };
}

/** A component publishes `payload` on the channel. */
function fromComponent(payload, source = 'NEOTEL') {
    subscribe.mock.calls.filter((c) => c[1] === CHANNEL).forEach((c) => c[2]({ source, payload }));
}

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

describe('neotelBridge', () => {
    it('has no markup of its own (Salesforce’s rule for a bridge)', () => {
        const { element } = bridge();
        expect(element.shadowRoot.childNodes.length).toBe(0);
    });

    it('publishes the connector’s messages for the components, as CONNECTOR', () => {
        const { element } = bridge();
        const view = { neotel: 1, type: 'view', view: { status: 'available' } };
        element.publishMessage(view);
        expect(publish).toHaveBeenCalledWith(undefined, CHANNEL, { source: 'CONNECTOR', payload: view });
    });

    it('hands the components’ hello and commands to the connector, and nothing else', () => {
        const { toConnector } = bridge();
        const joined = { neotel: 1, type: 'command', command: { command: 'joinCampaign', campaign: 97 } };
        fromComponent({ neotel: 1, type: 'hello' });
        fromComponent(joined);
        // Its own echo, another protocol, forged answers or events: not relayed.
        fromComponent({ neotel: 1, type: 'view', view: {} }, 'CONNECTOR');
        fromComponent({ message: 'ping' });
        fromComponent({ neotel: 1, type: 'answer', id: 1, ok: true, answer: {} });
        fromComponent({ neotel: 1, type: 'event', event: { event: 'navigation' } });
        const sent = toConnector.mock.calls.map((c) => c[0]).filter((m) => m.type !== 'event');
        expect(sent).toEqual([{ neotel: 1, type: 'hello' }, joined]);
    });

    it('runs findRecords with the Apex search and answers the request’s id', async () => {
        const { element, toConnector } = bridge();
        searchRecords.mockResolvedValue([{ id: '0038d0000000001AAA', objectType: 'Contact', name: 'María González' }]);
        element.publishMessage({ neotel: 1, type: 'request', id: 41, ask: 'findRecords', key: '1141007000', direction: 'Inbound' });
        await settle();
        expect(searchRecords).toHaveBeenCalledWith({ key: '1141007000' });
        expect(toConnector).toHaveBeenLastCalledWith({
            neotel: 1,
            type: 'answer',
            id: 41,
            ok: true,
            answer: { records: [{ id: '0038d0000000001AAA', objectType: 'Contact', name: 'María González' }] }
        });
    });

    it('reads a record and finds a call’s Task through Apex', async () => {
        const { element, toConnector } = bridge();
        readRecord.mockResolvedValue({ Id: '003A', neoSyncId__c: '706452004931707777' });
        findCallLog.mockResolvedValue(null);
        element.publishMessage({ neotel: 1, type: 'request', id: 42, ask: 'readRecord', recordId: '003A', objectType: 'Contact' });
        element.publishMessage({ neotel: 1, type: 'request', id: 43, ask: 'findCallLog', callId: 1159449 });
        await settle();
        expect(readRecord).toHaveBeenCalledWith({ recordId: '003A', objectType: 'Contact' });
        expect(findCallLog).toHaveBeenCalledWith({ callId: '1159449' });
        const answers = toConnector.mock.calls
            .map((c) => c[0])
            .filter((m) => m.type === 'answer')
            .sort((a, b) => a.id - b.id);
        expect(answers).toEqual([
            { neotel: 1, type: 'answer', id: 42, ok: true, answer: { record: { Id: '003A', neoSyncId__c: '706452004931707777' } } },
            { neotel: 1, type: 'answer', id: 43, ok: true, answer: { logId: null } }
        ]);
    });

    it('pops a new record with its defaults through navigation (W-SYNC’s neoSyncId__c kept as text)', async () => {
        const { element, toConnector } = bridge();
        const navigate = mockNavigate;
        encodeDefaultFieldValues.mockReturnValue('neoSyncId__c=706452004931707777,Phone=1144445555');
        element.publishMessage({
            neotel: 1,
            type: 'request',
            id: 44,
            ask: 'showNewRecord',
            objectType: 'Contact',
            fields: { neoSyncId__c: '706452004931707777', Phone: '1144445555' }
        });
        await settle();
        expect(encodeDefaultFieldValues).toHaveBeenCalledWith({ neoSyncId__c: '706452004931707777', Phone: '1144445555' });
        expect(navigate).toHaveBeenCalledWith({
            type: 'standard__objectPage',
            attributes: { objectApiName: 'Contact', actionName: 'new' },
            state: { defaultFieldValues: 'neoSyncId__c=706452004931707777,Phone=1144445555' }
        });
        expect(toConnector).toHaveBeenLastCalledWith({ neotel: 1, type: 'answer', id: 44, ok: true, answer: {} });
        element.publishMessage({ neotel: 1, type: 'request', id: 45, ask: 'showRecord', recordId: '003A' });
        await settle();
        expect(navigate).toHaveBeenLastCalledWith({
            type: 'standard__recordPage',
            attributes: { recordId: '003A', actionName: 'view' }
        });
    });

    it('writes Neotel fields and logs a call with the UI API', async () => {
        const { element, toConnector } = bridge();
        updateRecord.mockResolvedValue({});
        createRecord.mockResolvedValue({ id: '00T000000000001AAA' });
        element.publishMessage({ neotel: 1, type: 'request', id: 45, ask: 'writeRecord', recordId: '003A', fields: { neoContactId__c: 1 } });
        element.publishMessage({
            neotel: 1,
            type: 'request',
            id: 46,
            ask: 'logCall',
            log: { subject: 'Llamada entrante 1144445555', callType: 'Inbound', callId: 1159450, durationSecs: 30, date: '2026-11-24', record: { id: '003A', objectType: 'Contact' } },
            existing: null
        });
        await settle();
        expect(updateRecord).toHaveBeenCalledWith({ fields: { neoContactId__c: 1, Id: '003A' } });
        expect(createRecord).toHaveBeenCalledWith({
            apiName: 'Task',
            fields: expect.objectContaining({ CallObject: '1159450', WhoId: '003A', Subject: 'Llamada entrante 1144445555' })
        });
        const answers = toConnector.mock.calls
            .map((c) => c[0])
            .filter((m) => m.type === 'answer')
            .sort((a, b) => a.id - b.id);
        expect(answers).toEqual([
            { neotel: 1, type: 'answer', id: 45, ok: true, answer: {} },
            { neotel: 1, type: 'answer', id: 46, ok: true, answer: { logId: '00T000000000001AAA' } }
        ]);
    });

    it('answers a failure with Salesforce’s words, never leaving a request unanswered', async () => {
        const { element, toConnector } = bridge();
        updateRecord.mockRejectedValue({ status: 403, body: { message: 'insufficient access', errorCode: 'INSUFFICIENT_ACCESS' } });
        element.publishMessage({ neotel: 1, type: 'request', id: 47, ask: 'writeRecord', recordId: '003A', fields: { neoCrmId__c: 4 } });
        element.publishMessage({ neotel: 1, type: 'request', id: 48, ask: 'minimize' });
        await settle();
        const answers = toConnector.mock.calls
            .map((c) => c[0])
            .filter((m) => m.type === 'answer')
            .sort((a, b) => a.id - b.id);
        expect(answers).toEqual([
            { neotel: 1, type: 'answer', id: 47, ok: false, error: { code: 'INSUFFICIENT_ACCESS', description: 'insufficient access', unknown: false } },
            expect.objectContaining({ id: 48, ok: false, error: expect.objectContaining({ code: 'UNSUPPORTED' }) })
        ]);
    });

    it('reports the record page the agent opens, once per record', async () => {
        const { toConnector } = bridge();
        CurrentPageReference.emit({ type: 'standard__recordPage', attributes: { recordId: '003B', objectApiName: 'Contact', actionName: 'view' } });
        CurrentPageReference.emit({ type: 'standard__recordPage', attributes: { recordId: '003B', objectApiName: 'Contact', actionName: 'edit' } });
        CurrentPageReference.emit({ type: 'standard__namedPage', attributes: { pageName: 'home' } });
        await settle();
        const events = toConnector.mock.calls.map((c) => c[0]).filter((m) => m.type === 'event').map((m) => m.event);
        expect(events).toEqual([
            { event: 'navigation', recordId: '003B', objectType: 'Contact', recordName: null },
            { event: 'navigation', recordId: null, objectType: null, recordName: null }
        ]);
    });

    it('in a console app, reports the focused tab’s record with its name, and answers currentRecord from it', async () => {
        const { element, toConnector } = bridge();
        IsConsoleNavigation.emit(true);
        const tab = {
            tabId: 'tab1',
            recordId: '003C',
            title: 'Juan Pérez',
            pageReference: { type: 'standard__recordPage', attributes: { recordId: '003C', objectApiName: 'Contact' } }
        };
        getTabInfo.mockResolvedValue(tab);
        getFocusedTabInfo.mockResolvedValue(tab);
        subscribe.mock.calls
            .filter((c) => c[1] === 'lightning__tabFocused')
            .forEach((c) => c[2]({ previousTabId: 'tab0', currentTabId: 'tab1' }));
        await settle();
        expect(getTabInfo).toHaveBeenCalledWith('tab1');
        element.publishMessage({ neotel: 1, type: 'request', id: 49, ask: 'currentRecord' });
        await settle();
        const sent = toConnector.mock.calls.map((c) => c[0]);
        expect(sent).toContainEqual({
            neotel: 1,
            type: 'event',
            event: { event: 'navigation', recordId: '003C', objectType: 'Contact', recordName: 'Juan Pérez' }
        });
        expect(sent).toContainEqual({
            neotel: 1,
            type: 'answer',
            id: 49,
            ok: true,
            answer: { record: { id: '003C', objectType: 'Contact', name: 'Juan Pérez' } }
        });
    });

    it('outside a console, currentRecord is the record page shown, or none', async () => {
        const { element, toConnector } = bridge();
        IsConsoleNavigation.emit(false);
        element.publishMessage({ neotel: 1, type: 'request', id: 50, ask: 'currentRecord' });
        CurrentPageReference.emit({ type: 'standard__recordPage', attributes: { recordId: '001D', objectApiName: 'Account' } });
        element.publishMessage({ neotel: 1, type: 'request', id: 51, ask: 'currentRecord' });
        await settle();
        const answers = toConnector.mock.calls
            .map((c) => c[0])
            .filter((m) => m.type === 'answer')
            .sort((a, b) => a.id - b.id);
        expect(answers).toEqual([
            { neotel: 1, type: 'answer', id: 50, ok: true, answer: { record: null } },
            { neotel: 1, type: 'answer', id: 51, ok: true, answer: { record: { id: '001D', objectType: 'Account', name: null } } }
        ]);
        expect(published().every((m) => m.source === 'CONNECTOR')).toBe(true);
    });

    it('drops what it would send before Salesforce gave it handleMessage', () => {
        const element = mount('c-neotel-bridge', NeotelBridge);
        expect(() => fromComponent({ neotel: 1, type: 'hello' })).not.toThrow();
        expect(() => element.publishMessage({ neotel: 1, type: 'view', view: {} })).not.toThrow();
    });
});
