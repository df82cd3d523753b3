import { defaultHangarHome } from '../remote/hangar-home';

// Where the CLI keeps sessions when --storage is not given. Apart from env.ts, so a command that opens no runtime
// (hangar sessions) finds the storage without loading one.

export const defaultStorage = defaultHangarHome;
