import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './index.js';
import { problemsOf } from './problems.kit.js';

// KYC_THRESHOLD_AMOUNT and ADMIN_APPROVAL_THRESHOLD share one format and one set of start-up checks.

describe('amounts per currency (KYC_THRESHOLD_AMOUNT, ADMIN_APPROVAL_THRESHOLD)', () => {
  for (const variable of ['KYC_THRESHOLD_AMOUNT', 'ADMIN_APPROVAL_THRESHOLD']) {
    it(`${variable}: parsed to minor units; a malformed value, an unknown currency or one named twice is refused`, () => {
      const config = loadConfig({ [variable]: 'USD:100000,NGN:0' });
      const parsed = variable === 'KYC_THRESHOLD_AMOUNT' ? config.policy.kyc.thresholds : config.approvals?.thresholds;
      assert.deepEqual(parsed, { USD: 100000n, NGN: 0n });
      assert.match(problemsOf({ [variable]: 'USD=1' })[0] ?? '', new RegExp(`^${variable}: must look like USD:`));
      assert.deepEqual(problemsOf({ [variable]: 'USD:1,JPY:5,USD:2' }), [
        `${variable}: JPY is not a currency of ESCROW_CURRENCIES (USD, EUR, GBP, NGN, USDC)`,
        `${variable}: USD is named twice`,
      ]);
    });
  }
});
