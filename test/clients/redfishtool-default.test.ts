// redfishtool in its default mode: the unauthenticated root over http, the rest over https.
import { defineRedfishtoolSuite } from './redfishtool-suite.ts';

await defineRedfishtoolSuite('default');
