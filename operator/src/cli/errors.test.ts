import { describe, expect, it } from '@jest/globals';
import { TransactionRevertedError } from '../chain/errors.js';
import { ManifestError } from '../workloads/parse.js';
import { CliUsageError, errorMessage } from './errors.js';

describe('errorMessage', () => {
  it('adds what to do to a decoded revert the tenant can act on', () => {
    const error = new TransactionRevertedError('finalize', 'estimate', {
      name: 'Marketplace_BiddingOpen',
      signature: 'Marketplace_BiddingOpen(uint256,uint256)',
      args: [3n, 1700000000n],
      namedArgs: { orderId: 3n, biddingDeadline: 1700000000n },
    });
    expect(errorMessage(error)).toBe(
      'finalize reverted when estimating gas (not sent). Marketplace_BiddingOpen(orderId=3, biddingDeadline=1700000000)\n' +
        'To fix: wait for the bidding deadline (see `supercloud order show`), or take a bid now with `supercloud order accept <id> --provider <address>`',
    );
  });

  it('says a bad manifest sent nothing', () => {
    const error = new ManifestError([{ path: '/services/0/image', message: 'must be an image' }]);
    expect(errorMessage(error)).toMatch(
      /services\/0\/image.*\nTo fix: correct the manifest; nothing was sent/s,
    );
  });

  it('keeps usage errors with their action', () => {
    expect(errorMessage(new CliUsageError('--gpus is wrong', 'pass a number'))).toBe(
      '--gpus is wrong. To fix: pass a number',
    );
  });
});
