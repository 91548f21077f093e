// End-to-end tests run the whole market: a lease lifecycle takes minutes.
import { jest } from '@jest/globals';

jest.setTimeout(600_000);
