/*
 * The protocol between Neotel's Lightning components and cti-server, through Salesforce Voice's
 * MESSAGE bridge (helpers/lightning-bridge.md): the envelopes, the words, the view's lists, and
 * how each request of the core becomes a call of Salesforce's standard APIs. It decides
 * nothing: the core sends what to do; this only translates.
 *
 * Framework-free on purpose (no import): the Lightning components import it, and a plain page
 * (the stand-in host of the browser tests) can load it as an ES module.
 */

/** Every payload carries this, with its `type`. */
export const PROTOCOL = 1;

/** The `source` of what the bridge publishes for the connector (Salesforce's convention). */
export const FROM_CONNECTOR = 'CONNECTOR';

/** The `source` of what the components publish for the connector. */
export const FROM_COMPONENTS = 'NEOTEL';

/** The payload types a component may send to the connector through the bridge (the bridge's
 * own `answer` and `event` never come from the channel). */
export const COMPONENT_TYPES = ['hello', 'command'];

/** A payload of this protocol. */
export function isNeotel(payload) {
    return (
        payload !== null &&
        typeof payload === 'object' &&
        payload.neotel === PROTOCOL &&
        typeof payload.type === 'string'
    );
}

/** A component (re)rendered: the server sends the catalog and the latest view. */
export function hello() {
    return { neotel: PROTOCOL, type: 'hello' };
}

/** The agent acted: a core command, exactly as the Open CTI page sends it. */
export function command(body) {
    return { neotel: PROTOCOL, type: 'command', command: body };
}

/** What Salesforce shows now (W-SYNC). */
export function navigation(record) {
    const r = record || {};
    return {
        neotel: PROTOCOL,
        type: 'event',
        event: {
            event: 'navigation',
            recordId: r.id || null,
            objectType: r.objectType || null,
            recordName: r.name || null
        }
    };
}

/** The answer to request `id`: `{ok: true, answer}` or `{ok: false, error}`. */
export function answer(id, outcome) {
    return Object.assign({ neotel: PROTOCOL, type: 'answer', id }, outcome);
}

/**
 * The words of the agent's language: the catalog the server sends (`msg.{code}` for the core's
 * messages, `ui.{key}` for the components' labels), parameters written `{name}`.
 */
export class Words {
    constructor(language, messages) {
        this.language = language || 'es';
        this.messages = messages || {};
    }

    /** `key`'s text with `params` filled in, or null when the catalog has no such key. */
    text(key, params) {
        let text = this.messages[key];
        if (typeof text !== 'string') {
            return null;
        }
        Object.keys(params || {}).forEach((name) => {
            text = text.split('{' + name + '}').join(String(params[name]));
        });
        return text;
    }

    /** A label (`ui.{key}`); the key itself when the catalog lacks it. */
    ui(key) {
        const text = this.text('ui.' + key);
        return text === null ? key : text;
    }

    /** A message of the core (`{code, params}`); its code when the catalog lacks it. */
    say(message) {
        if (!message || !message.code) {
            return '';
        }
        const text = this.text('msg.' + message.code, message.params);
        return text === null ? message.code : text;
    }
}

/**
 * The view to draw: the server's first view carries every list, later ones only the lists that
 * changed; a list not named keeps its last value (cti-server/docs/protocol.md, `view`).
 */
export function mergeView(previous, view) {
    const lists = Object.assign({}, (previous && previous.lists) || {}, (view && view.lists) || {});
    return Object.assign({}, view, { lists });
}

/** A list of the view (`categories`, `campaigns`…), empty when absent. */
export function list(view, name) {
    return (view && view.lists && view.lists[name]) || [];
}

/** The draft's callback time split as the form's date and time inputs show it. */
export function splitSchedule(at) {
    if (typeof at !== 'string' || at.length < 16) {
        return { date: '', time: '' };
    }
    return { date: at.slice(0, 10), time: at.slice(11, 16) };
}

/**
 * The date and time inputs' values as the core takes them: the agent's wall time
 * (`2026-11-25T10:30:00`) and its offset east of UTC at that moment, as the Open CTI page sends
 * (a browser's `-getTimezoneOffset()`); no time without both.
 */
export function wallTime(date, time) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date || '') || !/^\d{2}:\d{2}/.test(time || '')) {
        return { at: null, agentOffsetMinutes: 0 };
    }
    const [y, m, d] = date.split('-').map(Number);
    const [hh, mm] = time.slice(0, 5).split(':').map(Number);
    const local = new Date(y, m - 1, d, hh, mm);
    return {
        at: date + 'T' + time.slice(0, 5) + ':00',
        agentOffsetMinutes: -local.getTimezoneOffset()
    };
}

/** A call's log (W-ACTIVITY, `logCall`'s `log`) as a Task's fields, as Open CTI's `saveLog`
 * writes it (sf-opencti's `task_fields`). */
export function taskFields(log) {
    const fields = {
        Subject: log.subject,
        CallType: log.callType,
        CallObject: String(log.callId),
        CallDurationInSeconds: log.durationSecs,
        Status: 'Completed',
        TaskSubtype: 'Call',
        ActivityDate: log.date
    };
    if (log.disposition) {
        fields.CallDisposition = log.disposition;
    }
    if (log.description) {
        fields.Description = log.description;
    }
    const record = log.record;
    if (record && record.id) {
        // WhoId takes people; anything else goes to WhatId (Salesforce refuses an Account as WhoId).
        const people = record.objectType === 'Contact' || record.objectType === 'Lead';
        fields[people ? 'WhoId' : 'WhatId'] = record.id;
    }
    // X-CAMPAIGN-ENTITY: the campaign's record takes WhatId, unless the call's own record does.
    if (log.related && log.related.id && !fields.WhatId) {
        fields.WhatId = log.related.id;
    }
    return fields;
}

/** A Salesforce error (Apex, UI API, navigation) in the protocol's terms. */
export function failure(error, unknown) {
    const body = (error && error.body) || {};
    const first = Array.isArray(body) ? body[0] || {} : body;
    const output = (first.output && first.output.errors && first.output.errors[0]) || {};
    const fieldErrors = first.output && first.output.fieldErrors;
    const fieldText = fieldErrors
        ? Object.keys(fieldErrors)
              .map((f) => (fieldErrors[f][0] || {}).message)
              .filter(Boolean)
              .join('; ')
        : '';
    const said = output.message || first.message || (error && error.message) || String(error);
    const description =
        [fieldText ? said.replace(/\.$/, '') : said, fieldText].filter(Boolean).join(': ') ||
        'Salesforce reported an error';
    return {
        ok: false,
        error: {
            code: output.errorCode || first.errorCode || first.exceptionType || 'GENERIC_ERROR',
            description,
            unknown: !!unknown
        }
    };
}

/**
 * Runs one request of the core with Salesforce's APIs, given as `sf`:
 * `searchRecords(key)`, `findCampaignRecord(objectType, campaign)`, `readRecord(recordId,
 * objectType)`, `findCallLog(callId)` (Apex),
 * `navigate(pageReference)` (NavigationMixin), `encodeDefaultFieldValues(fields)`,
 * `updateRecord(recordInput)`, `createRecord(recordInput)` (lightning/uiRecordApi),
 * `currentRecord()` (the record shown: `{id, objectType, name}` or null).
 * Resolves with the answer's outcome, `{ok, answer}` or `{ok:false, error}`; never rejects.
 */
export function runRequest(request, sf) {
    const ask = request && request.ask;
    const write = ask === 'writeRecord' || ask === 'logCall';
    let work;
    try {
        work = perform(request, sf);
    } catch (e) {
        work = Promise.reject(e);
    }
    return Promise.resolve(work).then(
        (value) => ({ ok: true, answer: value }),
        // A write whose answer did not come may have happened (no HTTP status: the connection
        // failed after sending); a refusal did not.
        (e) => failure(e, write && !(e && e.status))
    );
}

function perform(request, sf) {
    switch (request.ask) {
        case 'findRecords':
            return sf.searchRecords(request.key).then((records) => ({
                records: (records || []).map((r) => ({
                    id: r.id,
                    objectType: r.objectType,
                    name: r.name
                }))
            }));
        case 'findCampaignRecord':
            return sf.findCampaignRecord(request.objectType, String(request.campaign)).then((records) => ({
                records: (records || []).map((r) => ({ id: r.id, objectType: r.objectType, name: r.name }))
            }));
        case 'showRecord':
            sf.navigate({
                type: 'standard__recordPage',
                attributes: { recordId: request.recordId, actionName: 'view' }
            });
            return Promise.resolve({});
        case 'showNewRecord':
            sf.navigate({
                type: 'standard__objectPage',
                attributes: { objectApiName: request.objectType, actionName: 'new' },
                state: { defaultFieldValues: sf.encodeDefaultFieldValues(request.fields || {}) }
            });
            return Promise.resolve({});
        case 'showSearch':
            sf.navigate({ type: 'standard__search', state: { term: request.text } });
            return Promise.resolve({});
        case 'readRecord':
            return sf
                .readRecord(request.recordId, request.objectType)
                .then((record) => ({ record: record || null }));
        case 'writeRecord':
            return sf
                .updateRecord({ fields: Object.assign({}, request.fields, { Id: request.recordId }) })
                .then(() => ({}));
        case 'logCall': {
            const fields = taskFields(request.log || {});
            if (request.existing) {
                return sf
                    .updateRecord({ fields: Object.assign(fields, { Id: request.existing }) })
                    .then(() => ({ logId: request.existing }));
            }
            return sf
                .createRecord({ apiName: 'Task', fields })
                .then((created) => ({ logId: (created && created.id) || null }));
        }
        case 'findCallLog':
            return sf.findCallLog(String(request.callId)).then((id) => ({ logId: id || null }));
        case 'currentRecord':
            return Promise.resolve(sf.currentRecord()).then((record) => ({
                record: record && record.id ? record : null
            }));
        default:
            return Promise.reject({
                body: {
                    errorCode: 'UNSUPPORTED',
                    message: 'Neotel’s Lightning components do not run “' + request.ask + '”'
                },
                status: 400
            });
    }
}
