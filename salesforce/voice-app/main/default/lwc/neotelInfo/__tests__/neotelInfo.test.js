/*
 * The information panel (F-INFO): the agent's state, the call's Neotel data as the view gives
 * it, the record matched or the private number, and the core's warnings and last error.
 */
import NeotelInfo from 'c/neotelInfo';
import { byId, deliver, idleView, mount, start, wrapUpView } from 'neotel-test';

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

describe('neotelInfo', () => {
    it('shows the call’s Neotel data with their labels', async () => {
        const element = mount('c-neotel-info', NeotelInfo);
        await start(
            wrapUpView({
                statusLabel: { code: 'statusTalking', params: { phone: '1141007000' } },
                info: { lastCallId: 1159450, contactId: 1, baseId: 134, crmId: 4, searchKey: '0038d0000000001AAA' }
            })
        );
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe('Information');
        expect(byId(element, 'status').textContent).toBe('On a call · 1141007000');
        const labels = Array.from(element.shadowRoot.querySelectorAll('dt')).map((dt) => dt.textContent);
        expect(labels).toEqual(['Last call id', 'Contact id', 'Database id', 'CRM id', 'Search key']);
        expect(byId(element, 'lastCallId').textContent).toBe('1159450');
        expect(byId(element, 'contactId').textContent).toBe('1');
        expect(byId(element, 'baseId').textContent).toBe('134');
        expect(byId(element, 'crmId').textContent).toBe('4');
        expect(byId(element, 'searchKey').textContent).toBe('0038d0000000001AAA');
        expect(byId(element, 'record').textContent).toBe('Record: María González (Contact)');
    });

    it('draws the last call id the view gives once the call ends (0)', async () => {
        const element = mount('c-neotel-info', NeotelInfo);
        await start(wrapUpView());
        expect(byId(element, 'lastCallId').textContent).toBe('0');
    });

    it('says a private number was not searched', async () => {
        const element = mount('c-neotel-info', NeotelInfo);
        const view = wrapUpView();
        view.contact = Object.assign({}, view.contact, { private: true, record: null });
        await start(view, 'es');
        expect(byId(element, 'private').textContent).toBe('Número privado: sin búsqueda');
        expect(byId(element, 'record')).toBeNull();
    });

    it('shows the core’s warnings and its last error in the agent’s words', async () => {
        const element = mount('c-neotel-info', NeotelInfo);
        await start(idleView());
        expect(byId(element, 'warnings')).toBeNull();
        expect(byId(element, 'error')).toBeNull();
        await deliver({
            neotel: 1,
            type: 'view',
            view: idleView({
                warnings: [{ code: 'neotelUnreachable' }, { code: 'noSyncRecord', params: { id: '706452004931707777' } }],
                error: { code: 'releaseRefused', params: { error: 'CRM cerrado' } }
            })
        });
        const notices = Array.from(byId(element, 'warnings').querySelectorAll('p')).map((p) => p.textContent);
        expect(notices).toEqual([
            'No connection to Neotel; still trying.',
            'No record has neoSyncId__c 706452004931707777 yet: save the new record, open it in Salesforce and sync again.'
        ]);
        expect(byId(element, 'error').textContent).toBe('Neotel did not save the disposition: CRM cerrado. Check it and send it again.');
        expect(byId(element, 'error').getAttribute('role')).toBe('alert');
    });
});
