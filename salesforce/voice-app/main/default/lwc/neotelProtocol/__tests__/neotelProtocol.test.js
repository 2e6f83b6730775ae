/*
 * The protocol module: the envelopes, the words, the lists carried over from view to view, the
 * form's times, and each request of the core run with (fake) Salesforce APIs.
 */
import {
    Words,
    answer,
    command,
    failure,
    hello,
    isNeotel,
    mergeView,
    navigation,
    runRequest,
    splitSchedule,
    taskFields,
    wallTime
} from 'c/neotelProtocol';
import { CATALOGS } from 'neotel-test';

/** Salesforce's APIs, each a jest mock resolving as Salesforce would. */
function salesforce(overrides = {}) {
    return Object.assign(
        {
            searchRecords: jest.fn().mockResolvedValue([]),
            readRecord: jest.fn().mockResolvedValue(null),
            findCallLog: jest.fn().mockResolvedValue(null),
            navigate: jest.fn(),
            encodeDefaultFieldValues: jest.fn((fields) =>
                Object.keys(fields)
                    .map((k) => k + '=' + encodeURIComponent(fields[k]))
                    .join(',')
            ),
            updateRecord: jest.fn().mockResolvedValue({ id: 'x' }),
            createRecord: jest.fn().mockResolvedValue({ id: '00T000000000001AAA' }),
            currentRecord: jest.fn().mockReturnValue(null)
        },
        overrides
    );
}

describe('envelopes', () => {
    it('carries neotel: 1 and a type', () => {
        expect(hello()).toEqual({ neotel: 1, type: 'hello' });
        expect(command({ command: 'joinCampaign', campaign: 97 })).toEqual({
            neotel: 1,
            type: 'command',
            command: { command: 'joinCampaign', campaign: 97 }
        });
        expect(answer(7, { ok: true, answer: {} })).toEqual({ neotel: 1, type: 'answer', id: 7, ok: true, answer: {} });
        expect(navigation({ id: '003A', objectType: 'Contact', name: 'María González' })).toEqual({
            neotel: 1,
            type: 'event',
            event: { event: 'navigation', recordId: '003A', objectType: 'Contact', recordName: 'María González' }
        });
        expect(navigation(null).event).toEqual({ event: 'navigation', recordId: null, objectType: null, recordName: null });
    });

    it('tells its payloads from anything else on the channel', () => {
        expect(isNeotel(hello())).toBe(true);
        expect(isNeotel({ neotel: 2, type: 'view' })).toBe(false);
        expect(isNeotel({ type: 'view' })).toBe(false);
        expect(isNeotel({ message: 'ping' })).toBe(false);
        expect(isNeotel(null)).toBe(false);
        expect(isNeotel('view')).toBe(false);
    });
});

describe('words', () => {
    it('words labels and the core messages from the catalog, parameters filled in', () => {
        const en = new Words('en', CATALOGS.en);
        expect(en.ui('join')).toBe('Join the campaign');
        expect(en.say({ code: 'statusTalking', params: { phone: '1141007000' } })).toBe('On a call · 1141007000');
        const es = new Words('es', CATALOGS.es);
        expect(es.ui('join')).toBe('Ingresar a la campaña');
        expect(es.say({ code: 'scheduleAccepted', params: { at: '25/11 10:30' } })).toContain('25/11 10:30');
    });

    it('shows the key or code when the catalog lacks it, and nothing for no message', () => {
        const w = new Words('en', {});
        expect(w.ui('nothing')).toBe('nothing');
        expect(w.say({ code: 'noSuchCode' })).toBe('noSuchCode');
        expect(w.say(null)).toBe('');
    });
});

describe('the view', () => {
    it('keeps the lists a later view does not name', () => {
        const first = { status: 'available', lists: { campaigns: [{ id: 97 }], categories: [] } };
        const later = { status: 'withContact', lists: { categories: [{ id: 26 }] } };
        const merged = mergeView(mergeView(null, first), later);
        expect(merged.status).toBe('withContact');
        expect(merged.lists).toEqual({ campaigns: [{ id: 97 }], categories: [{ id: 26 }] });
        expect(mergeView(null, { status: 'available' }).lists).toEqual({});
    });
});

describe('the callback time', () => {
    it('splits the draft into the date and time inputs', () => {
        expect(splitSchedule('2026-11-25T10:30:00')).toEqual({ date: '2026-11-25', time: '10:30' });
        expect(splitSchedule(null)).toEqual({ date: '', time: '' });
    });

    it('gives the agent wall time and its offset, or no time without both parts', () => {
        const when = wallTime('2026-11-25', '10:30:00.000');
        expect(when.at).toBe('2026-11-25T10:30:00');
        expect(when.agentOffsetMinutes).toBe(-new Date(2026, 10, 25, 10, 30).getTimezoneOffset());
        expect(wallTime('2026-11-25', '')).toEqual({ at: null, agentOffsetMinutes: 0 });
        expect(wallTime('', '10:30')).toEqual({ at: null, agentOffsetMinutes: 0 });
        expect(wallTime('25/11/2026', '10:30')).toEqual({ at: null, agentOffsetMinutes: 0 });
    });
});

describe('a call log as a Task', () => {
    const log = {
        subject: 'Llamada saliente 1144445555',
        callType: 'Outbound',
        callId: 1159449,
        phone: '1144445555',
        durationSecs: 95,
        disposition: 'Venta / Venta concretada',
        description: 'quiere factura A',
        record: { id: '003A', objectType: 'Contact' },
        date: '2026-11-24'
    };

    it('writes the fields Open CTI writes; people go to WhoId, the rest to WhatId', () => {
        expect(taskFields(log)).toEqual({
            Subject: 'Llamada saliente 1144445555',
            CallType: 'Outbound',
            CallObject: '1159449',
            CallDurationInSeconds: 95,
            Status: 'Completed',
            TaskSubtype: 'Call',
            ActivityDate: '2026-11-24',
            CallDisposition: 'Venta / Venta concretada',
            Description: 'quiere factura A',
            WhoId: '003A'
        });
        const onAccount = taskFields(Object.assign({}, log, { record: { id: '001A', objectType: 'Account' } }));
        expect(onAccount.WhatId).toBe('001A');
        expect(onAccount.WhoId).toBeUndefined();
        // X-CAMPAIGN-ENTITY: the campaign's record is WhatId beside a person, never over an Account.
        const related = { id: '701C', objectType: 'Campaign', name: 'SALESFORCE' };
        const beside = taskFields(Object.assign({}, log, { related }));
        expect(beside.WhatId).toBe('701C');
        expect(beside.WhoId).toBe(log.record.id);
        expect(taskFields(Object.assign({}, log, { related, record: { id: '001A', objectType: 'Account' } })).WhatId).toBe('001A');
        expect(taskFields(Object.assign({}, log, { related, record: null })).WhatId).toBe('701C');
        const bare = taskFields(Object.assign({}, log, { disposition: null, description: null, record: null }));
        expect(bare).not.toHaveProperty('CallDisposition');
        expect(bare).not.toHaveProperty('WhoId');
        expect(bare).not.toHaveProperty('WhatId');
    });
});

describe('requests', () => {
    it('findRecords: the Apex search by key, answered as records', async () => {
        const sf = salesforce({
            searchRecords: jest.fn().mockResolvedValue([
                { id: '003A', objectType: 'Contact', name: 'María González', extra: 1 },
                { id: '001A', objectType: 'Account', name: 'Grupo Andino S.A.' }
            ])
        });
        const outcome = await runRequest({ id: 1, ask: 'findRecords', key: '1141007000', direction: 'Inbound' }, sf);
        expect(sf.searchRecords).toHaveBeenCalledWith('1141007000');
        expect(outcome).toEqual({
            ok: true,
            answer: {
                records: [
                    { id: '003A', objectType: 'Contact', name: 'María González' },
                    { id: '001A', objectType: 'Account', name: 'Grupo Andino S.A.' }
                ]
            }
        });
    });

    it('findCampaignRecord: the Apex lookup by Neotel campaign (X-CAMPAIGN-ENTITY), answered as records', async () => {
        const sf = salesforce({
            findCampaignRecord: jest.fn().mockResolvedValue([{ id: '701A', objectType: 'Campaign', name: 'SALESFORCE' }])
        });
        const outcome = await runRequest({ id: 9, ask: 'findCampaignRecord', objectType: 'Campaign', campaign: 97 }, sf);
        expect(sf.findCampaignRecord).toHaveBeenCalledWith('Campaign', '97');
        expect(outcome).toEqual({
            ok: true,
            answer: { records: [{ id: '701A', objectType: 'Campaign', name: 'SALESFORCE' }] }
        });
    });

    it('showRecord, showNewRecord, showSearch: Salesforce navigation', async () => {
        const sf = salesforce();
        expect(await runRequest({ id: 2, ask: 'showRecord', recordId: '003A' }, sf)).toEqual({ ok: true, answer: {} });
        expect(sf.navigate).toHaveBeenLastCalledWith({
            type: 'standard__recordPage',
            attributes: { recordId: '003A', actionName: 'view' }
        });
        const fields = { neoSyncId__c: '706452004931707777', Phone: '1144445555', neoContactId__c: 1 };
        expect(await runRequest({ id: 3, ask: 'showNewRecord', objectType: 'Contact', fields }, sf)).toEqual({
            ok: true,
            answer: {}
        });
        expect(sf.encodeDefaultFieldValues).toHaveBeenCalledWith(fields);
        expect(sf.navigate).toHaveBeenLastCalledWith({
            type: 'standard__objectPage',
            attributes: { objectApiName: 'Contact', actionName: 'new' },
            state: { defaultFieldValues: 'neoSyncId__c=706452004931707777,Phone=1144445555,neoContactId__c=1' }
        });
        await runRequest({ id: 4, ask: 'showSearch', text: '1144445555' }, sf);
        expect(sf.navigate).toHaveBeenLastCalledWith({ type: 'standard__search', state: { term: '1144445555' } });
    });

    it('readRecord: the record, or null for none', async () => {
        const record = { Id: '003A', neoSyncId__c: '706452004931707777', neoCrmId__c: '4' };
        const sf = salesforce({ readRecord: jest.fn().mockResolvedValue(record) });
        const outcome = await runRequest({ id: 5, ask: 'readRecord', recordId: '003A', objectType: 'Contact' }, sf);
        expect(sf.readRecord).toHaveBeenCalledWith('003A', 'Contact');
        expect(outcome).toEqual({ ok: true, answer: { record } });
        sf.readRecord.mockResolvedValue(null);
        expect((await runRequest({ id: 6, ask: 'readRecord', recordId: '003B', objectType: 'Lead' }, sf)).answer).toEqual({
            record: null
        });
    });

    it('writeRecord: the UI API update of those fields on that record (the Id cannot be overridden)', async () => {
        const sf = salesforce();
        const outcome = await runRequest(
            { id: 7, ask: 'writeRecord', recordId: '003A', fields: { neoContactId__c: 1, Id: '003Z' } },
            sf
        );
        expect(outcome).toEqual({ ok: true, answer: {} });
        expect(sf.updateRecord).toHaveBeenCalledWith({ fields: { neoContactId__c: 1, Id: '003A' } });
    });

    it('logCall: a Task created, or the existing one updated', async () => {
        const sf = salesforce();
        const log = {
            subject: 'Llamada entrante 1144445555',
            callType: 'Inbound',
            callId: 1159450,
            durationSecs: 30,
            record: null,
            date: '2026-11-24'
        };
        expect(await runRequest({ id: 8, ask: 'logCall', log, existing: null }, sf)).toEqual({
            ok: true,
            answer: { logId: '00T000000000001AAA' }
        });
        expect(sf.createRecord).toHaveBeenCalledWith({ apiName: 'Task', fields: expect.objectContaining({ CallObject: '1159450' }) });
        expect(await runRequest({ id: 9, ask: 'logCall', log, existing: '00T000000000001AAA' }, sf)).toEqual({
            ok: true,
            answer: { logId: '00T000000000001AAA' }
        });
        expect(sf.updateRecord).toHaveBeenCalledWith({
            fields: expect.objectContaining({ Id: '00T000000000001AAA', Subject: 'Llamada entrante 1144445555' })
        });
    });

    it('findCallLog and currentRecord', async () => {
        const sf = salesforce({
            findCallLog: jest.fn().mockResolvedValue('00T000000000001AAA'),
            currentRecord: jest.fn().mockResolvedValue({ id: '003A', objectType: 'Contact', name: 'María González' })
        });
        expect(await runRequest({ id: 10, ask: 'findCallLog', callId: 1159449 }, sf)).toEqual({
            ok: true,
            answer: { logId: '00T000000000001AAA' }
        });
        expect(sf.findCallLog).toHaveBeenCalledWith('1159449');
        expect(await runRequest({ id: 11, ask: 'currentRecord' }, sf)).toEqual({
            ok: true,
            answer: { record: { id: '003A', objectType: 'Contact', name: 'María González' } }
        });
        sf.currentRecord.mockReturnValue(null);
        expect((await runRequest({ id: 12, ask: 'currentRecord' }, sf)).answer).toEqual({ record: null });
    });

    it('errors: Salesforce words, a code, and whether a write may have happened', async () => {
        const apexError = { status: 500, body: { message: 'Neotel reads Contact, Account, Lead and Opportunity records, not Case', exceptionType: 'System.AuraHandledException' } };
        const sf = salesforce({
            readRecord: jest.fn().mockRejectedValue(apexError),
            updateRecord: jest.fn().mockRejectedValue({
                status: 400,
                body: {
                    message: 'An error occurred while trying to update the record.',
                    output: {
                        errors: [],
                        fieldErrors: { neoContactId__c: [{ errorCode: 'INVALID_FIELD', message: 'No such column' }] }
                    }
                }
            }),
            createRecord: jest.fn().mockRejectedValue(new TypeError('Failed to fetch'))
        });
        expect(await runRequest({ id: 13, ask: 'readRecord', recordId: '500A', objectType: 'Case' }, sf)).toEqual({
            ok: false,
            error: {
                code: 'System.AuraHandledException',
                description: 'Neotel reads Contact, Account, Lead and Opportunity records, not Case',
                unknown: false
            }
        });
        const refused = await runRequest({ id: 14, ask: 'writeRecord', recordId: '003A', fields: { neoContactId__c: 1 } }, sf);
        expect(refused.error).toEqual({
            code: 'GENERIC_ERROR',
            description: 'An error occurred while trying to update the record: No such column',
            unknown: false
        });
        const lost = await runRequest({ id: 15, ask: 'logCall', log: { callId: 1 }, existing: null }, sf);
        expect(lost.error).toEqual({ code: 'GENERIC_ERROR', description: 'Failed to fetch', unknown: true });
        const navigationFailed = await runRequest(
            { id: 16, ask: 'showRecord', recordId: '003A' },
            salesforce({
                navigate: () => {
                    throw new Error('no navigation here');
                }
            })
        );
        expect(navigationFailed.error).toEqual({ code: 'GENERIC_ERROR', description: 'no navigation here', unknown: false });
    });

    it('a request it does not know is refused, not run', async () => {
        const sf = salesforce();
        const outcome = await runRequest({ id: 17, ask: 'minimize' }, sf);
        expect(outcome.ok).toBe(false);
        expect(outcome.error.code).toBe('UNSUPPORTED');
        expect(outcome.error.description).toContain('minimize');
        expect(sf.navigate).not.toHaveBeenCalled();
        expect(failure('plain').error.description).toBe('plain');
    });
});
