// Provider listings are bounded by timeout-seconds, not by a page count, on the step's one clock.
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { StepDeadline } from '../../src/platforms/http/deadline.js';
import { OutOfTime } from '../../src/platforms/http/client.js';
import { checkListingTime, listingBound, listingPage, PageGuard, pageInTime } from '../../src/platforms/listing.js';
import { fakeClock } from './fake-http.js';

describe('listing bound', () => {
  it('a later page cut short by the deadline is the listing running out of time; the first page is the request failing', async () => {
    const clock = fakeClock();
    const bound = listingBound(new StepDeadline(clock.now, 60), 'the releases of app shop');
    const cut = () => Promise.reject(new OutOfTime('Fly did not answer the releases before the step\'s deadline.'));
    await expect(listingPage(bound, 3, cut)).rejects.toThrow(/^Listing the releases of app shop took longer than timeout-seconds \(60 s\): 3 page\(s\) read, and the list goes on\.$/);
    await expect(listingPage(bound, 0, cut)).rejects.toThrow(/did not answer/);
    await expect(listingPage(bound, 3, () => Promise.resolve('page'))).resolves.toBe('page');
  });

  it('for a listing that tells of its end itself, a later page past or cut by the deadline is no page, not an error', async () => {
    const clock = fakeClock();
    const bound = listingBound(new StepDeadline(clock.now, 60), 'the production deployments of project shop');
    const cut = () => Promise.reject(new OutOfTime('Vercel did not answer GET /v6/deployments before the step\'s deadline.'));
    await expect(pageInTime(bound, 3, cut)).resolves.toBeUndefined();
    await expect(pageInTime(bound, 0, cut)).rejects.toThrow(/did not answer/);
    await expect(pageInTime(bound, 3, () => Promise.resolve('page'))).resolves.toEqual({ page: 'page' });
    await clock.sleep(60_000);
    let asked = 0;
    const count = () => Promise.resolve(++asked);
    await expect(pageInTime(bound, 3, count)).resolves.toBeUndefined();
    await expect(pageInTime(bound, 0, count)).resolves.toEqual({ page: 1 });
    expect(asked).toBe(1);
  });

  it('allows any number of pages before the deadline, and always the first page', async () => {
    const clock = fakeClock();
    const bound = listingBound(new StepDeadline(clock.now, 60), 'the releases of app shop');
    expect(() => checkListingTime(bound, 5_000)).not.toThrow();
    await clock.sleep(60_000);
    expect(() => checkListingTime(bound, 0)).not.toThrow();
  });

  it("after the step's deadline, says what was listed, how far it got and what to do", async () => {
    const clock = fakeClock();
    const past = listingBound(new StepDeadline(clock.now, 2), 'the deploys of service api');
    await clock.sleep(1_999);
    expect(() => checkListingTime(past, 12)).not.toThrow();
    await clock.sleep(1);
    const err = (() => {
      try {
        checkListingTime(past, 12);
      } catch (e) {
        return e as RollbackKitError;
      }
    })();
    expect(err).toBeInstanceOf(RollbackKitError);
    expect(err!.line).toBe('Listing the deploys of service api took longer than timeout-seconds (2 s): 12 page(s) read, and the list goes on. Raise timeout-seconds to look further back, or name the target to return to.');
  });
});

describe('a cursor that comes back', () => {
  const repeated = (cursor: string): string => {
    const guard = new PageGuard('the deploys of service api');
    guard.check(cursor);
    try {
      guard.check(cursor);
    } catch (e) {
      return (e as RollbackKitError).message;
    }
    throw new Error('the second cursor was accepted');
  };

  it('is quoted whole up to 41 characters, and cut to 40 and an ellipsis beyond', () => {
    const at41 = 'c'.repeat(40) + 'X';
    expect(repeated(at41)).toContain(`the same next-page cursor (${at41}) as an earlier page`);
    const at42 = 'c'.repeat(40) + 'XY';
    expect(repeated(at42)).toContain(`the same next-page cursor (${'c'.repeat(40)}…) as an earlier page`);
    expect(repeated('5000')).toContain('the same next-page cursor (5000) as an earlier page');
  });
});
