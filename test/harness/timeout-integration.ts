// Integration tests wait on a real control plane and chain: minutes, not jest's 5 s default.
import { jest } from '@jest/globals';

jest.setTimeout(300_000);
