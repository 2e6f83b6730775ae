/*
 * W-SYNC's component: while a new record waits to be linked it says so, with its neoSyncId__c,
 * and offers the sync (`syncRecord`) when the view allows it; the core's sync notices show here.
 */
import NeotelSync from 'c/neotelSync';
import { actions, byId, click, commands, deliver, mount, start, wrapUpView } from 'neotel-test';

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

function newRecordView(overrides = {}) {
    const view = wrapUpView(
        Object.assign(
            {
                sync: { syncId: '706452004931707777', linked: false },
                actions: actions({ categorize: true, release: true, schedule: true, sync: true }),
                warnings: [{ code: 'newRecord' }]
            },
            overrides
        )
    );
    view.contact = Object.assign({}, view.contact, { record: null, private: true });
    return view;
}

describe('neotelSync', () => {
    it('shows nothing while no new record waits', async () => {
        const element = mount('c-neotel-sync', NeotelSync);
        await start(wrapUpView());
        expect(element.shadowRoot.querySelector('lightning-card')).toBeNull();
    });

    it('says a new record waits, with its neoSyncId__c, and syncs it by hand', async () => {
        const element = mount('c-neotel-sync', NeotelSync);
        await start(newRecordView());
        expect(byId(element, 'sync').textContent).toBe('New record not synced yet: save it and press ⟳ (neoSyncId__c 706452004931707777)');
        const notices = Array.from(byId(element, 'warnings').querySelectorAll('p')).map((p) => p.textContent);
        expect(notices).toEqual(['Save the new record, then come back to the softphone to sync it.']);
        expect(byId(element, 'syncButton').label).toBe('Sync the new record');
        expect(byId(element, 'syncButton').disabled).toBe(false);
        await click(byId(element, 'syncButton'));
        expect(commands()).toEqual([{ command: 'syncRecord' }]);
    });

    it('says when no saved record has the id yet, and when it is linked', async () => {
        const element = mount('c-neotel-sync', NeotelSync);
        await start(newRecordView(), 'es');
        await deliver({
            neotel: 1,
            type: 'view',
            view: newRecordView({ warnings: [{ code: 'noSyncRecord', params: { id: '706452004931707777' } }, { code: 'neotelUnreachable' }] })
        });
        const notices = Array.from(byId(element, 'warnings').querySelectorAll('p')).map((p) => p.textContent);
        expect(notices).toEqual([
            'Todavía no hay un registro con neoSyncId__c 706452004931707777: guarde el registro nuevo, ábralo en Salesforce y vuelva a sincronizar.'
        ]);
        await deliver({
            neotel: 1,
            type: 'view',
            view: newRecordView({ sync: { syncId: '706452004931707777', linked: true }, actions: actions({ release: true }), warnings: [] })
        });
        expect(byId(element, 'sync').textContent).toBe('Registro nuevo sincronizado (neoSyncId__c 706452004931707777)');
        expect(byId(element, 'syncButton').disabled).toBe(true);
    });

    it('shows the refusal of a sync', async () => {
        const element = mount('c-neotel-sync', NeotelSync);
        await start(newRecordView());
        await click(byId(element, 'syncButton'));
        await deliver({ neotel: 1, type: 'refused', command: 'syncRecord', message: { code: 'nothingToSync' } });
        expect(byId(element, 'refusal').textContent.trim()).toBe('There is no new record to sync.');
    });
});
