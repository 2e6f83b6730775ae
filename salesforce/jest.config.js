// The Lightning components' offline tests: sfdx-lwc-jest's configuration (Salesforce's
// base-component and platform stubs), plus the shared test helpers as `neotel-test`.
const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
    ...jestConfig,
    moduleNameMapper: {
        '^neotel-test$': '<rootDir>/jest/neotel-test.js'
    },
    testMatch: ['<rootDir>/voice-app/**/__tests__/**/*.test.js'],
    restoreMocks: false
};
