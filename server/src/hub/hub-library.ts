/**
 * @huggingface/hub, loaded on first use. Its ESM build is one 2.4 MB module (with a 0.9 MB source map), and a
 * loaded module stays on the heap for the life of the process: a server that never talks to the Hub should not
 * carry it. Every Hub call goes through {@link hubLibrary}; the first one pays ~50 ms to load it.
 */
export type HubLibrary = typeof import('@huggingface/hub');

let loading: Promise<HubLibrary> | undefined;
let loaded: HubLibrary | undefined;

export function hubLibrary(): Promise<HubLibrary> {
  return (loading ??= import('@huggingface/hub').then(
    (library) => (loaded = library),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  ));
}

/** The library if it is loaded: an error from it can only exist once it is. */
export const loadedHubLibrary = (): HubLibrary | undefined => loaded;
