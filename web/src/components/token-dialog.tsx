import { useState } from 'react';
import { saveToken, tokenStore } from '../api/token.ts';
import { createStore, useStore } from '../lib/store.ts';
import { Dialog } from './dialog.tsx';

const open = createStore(false);

export function openTokenDialog(): void {
  open.set(true);
}

/** Token entry: kept in localStorage, sent as `Authorization: Bearer` and in the WebSocket's connection params. */
export function TokenDialog() {
  const isOpen = useStore(open);
  return isOpen ? <TokenForm onClose={() => open.set(false)} /> : null;
}

function TokenForm({ onClose }: { onClose(): void }) {
  const [value, setValue] = useState(tokenStore.get());
  const [shown, setShown] = useState(false);
  const save = (token: string) => {
    saveToken(token);
    onClose();
  };
  return (
    <Dialog
      title="API token"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={() => save('')} disabled={!tokenStore.get()}>
            Forget token
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="token-form" className="primary">
            Save
          </button>
        </>
      }
    >
      <form
        id="token-form"
        onSubmit={(event) => {
          event.preventDefault();
          save(value);
        }}
      >
        <p className="muted">
          Needed when the server runs with <code>ANANA_API_TOKEN</code>: mutations and live updates require it. It is stored in this browser only.
        </p>
        <label className="field">
          <span>Token</span>
          <span className="input-row">
            <input type={shown ? 'text' : 'password'} value={value} onChange={(event) => setValue(event.target.value)} autoComplete="off" spellCheck={false} data-autofocus />
            <button type="button" onClick={() => setShown(!shown)} aria-pressed={shown}>
              {shown ? 'Hide' : 'Show'}
            </button>
          </span>
        </label>
      </form>
    </Dialog>
  );
}
