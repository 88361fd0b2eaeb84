// redfishtool with -S Always: every request over HTTPS.
import { defineRedfishtoolSuite } from './redfishtool-suite.ts';

await defineRedfishtoolSuite('always');
