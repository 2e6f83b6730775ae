/*
 * lightning/uiRecordApi, stood in (Salesforce's "lightning/uiRecordApi" reference): record
 * writes against the stand-in org. `createRecord({apiName, fields})` and `updateRecord({fields:
 * {Id, …}})` answer a promise of the record as the UI API represents it (`apiName`, `id`,
 * `fields: {Name: {value, displayValue}}`…); a refusal rejects with the UI API's error
 * (`status`, `body: {message, output: {errors, fieldErrors}}`), which the host shows in the
 * console too. Writes change the org the console shows.
 */
import { host } from '../../platform';

/** The record as the UI API answers it. */
function representation(record, apiName) {
    const fields = {};
    Object.keys(record)
        .filter((k) => k !== 'type')
        .forEach((k) => {
            fields[k] = { value: record[k] === undefined ? null : record[k], displayValue: null };
        });
    return {
        apiName,
        id: record.Id,
        fields,
        childRelationships: {},
        lastModifiedDate: host().org.modified[record.Id] || null,
        recordTypeId: null
    };
}

/** The UI API's error for a refused write. */
function refusal(status, errorCode, message, field) {
    const fieldErrors = {};
    if (field) {
        fieldErrors[field] = [{ errorCode, field, message }];
    }
    const error = new Error(message);
    error.status = status;
    error.ok = false;
    error.statusText = status === 404 ? 'Not Found' : 'Bad Request';
    error.body = {
        message: field ? 'An error occurred while trying to update the record. Please try again.' : message,
        statusCode: status,
        errorCode,
        output: { errors: field ? [] : [{ errorCode, message }], fieldErrors }
    };
    return error;
}

function fromOrg(e) {
    if (e && e.orgError) {
        const field = (e.fields || [])[0];
        if (field === 'Id') {
            return refusal(404, 'NOT_FOUND', 'The requested resource does not exist');
        }
        if (field === 'entityApiName') {
            return refusal(400, 'INVALID_TYPE', 'Cannot create records of this object');
        }
        const code = /^FIELD_INTEGRITY_EXCEPTION/.test(e.message) ? 'FIELD_INTEGRITY_EXCEPTION' : 'INVALID_CROSS_REFERENCE_KEY';
        return refusal(400, code, e.message.replace(/^FIELD_INTEGRITY_EXCEPTION: /, ''), field);
    }
    return e;
}

function write(work) {
    return Promise.resolve()
        .then(work)
        .catch((e) => {
            throw fromOrg(e);
        });
}

/** Creates a record of `recordInput.apiName` with `recordInput.fields`. */
export function createRecord(recordInput) {
    return write(() => {
        const input = recordInput || {};
        if (!input.apiName || typeof input.apiName !== 'string') {
            throw refusal(400, 'INVALID_INPUT', 'apiName is required');
        }
        const fields = Object.assign({}, input.fields);
        delete fields.Id;
        const org = host().org;
        const id = org.write(Object.assign({ entityApiName: input.apiName }, fields));
        host().changed(id);
        const record = input.apiName === 'Task' ? org.tasks.find((t) => t.Id === id) : org.records[id];
        return representation(record, input.apiName);
    });
}

/** Updates the record `recordInput.fields.Id` with the other fields. */
export function updateRecord(recordInput) {
    return write(() => {
        const fields = Object.assign({}, (recordInput || {}).fields);
        if (!fields.Id) {
            throw refusal(400, 'INVALID_INPUT', 'fields.Id is required to update a record');
        }
        const org = host().org;
        const id = org.write(fields);
        host().changed(id);
        const task = org.tasks.find((t) => t.Id === id);
        return representation(task || org.records[id], task ? 'Task' : org.records[id].type);
    });
}
