declare module 'dynalite' {
  import type { Server } from 'node:http';

  type DynaliteOptions = {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
  };

  /** dynalite 4: an http.Server whose `close` also closes the LevelDB store. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
