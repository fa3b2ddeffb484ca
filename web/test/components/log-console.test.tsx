// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LogConsole, ROW_HEIGHT, type ConsoleLine } from '../../src/components/log-console.tsx';

const VIEWPORT_HEIGHT = 400;

function makeLines(count: number, from = 1): ConsoleLine[] {
  const levels = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      stream: seq % 3 === 0 ? 'STDERR' : 'STDOUT',
      level: levels[seq % 4],
      text: seq % 10 === 0 ? `checkpoint saved at step ${seq}` : `line ${seq}`,
      time: '2026-01-01T12:00:00.000Z',
    };
  });
}

// jsdom does no layout: give the log viewport a height and a scroll height from its rows.
const descriptors = {
  clientHeight: Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight'),
  clientWidth: Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth'),
  scrollHeight: Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'scrollHeight'),
};
const isViewport = (element: HTMLElement) => element.dataset.testid === 'log-viewport';
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: function (this: HTMLElement) { return isViewport(this) ? VIEWPORT_HEIGHT : 0; } });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: function (this: HTMLElement) { return isViewport(this) ? 1000 : 0; } });
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
    configurable: true,
    get: function (this: HTMLElement) {
      return isViewport(this) ? Number.parseFloat(this.querySelector<HTMLElement>('.log-rows')?.style.height ?? '0') : 0;
    },
  });
});
afterAll(() => {
  for (const [name, descriptor] of Object.entries(descriptors)) if (descriptor) Object.defineProperty(HTMLElement.prototype, name, descriptor);
});
afterEach(cleanup);

const viewport = () => screen.getByTestId('log-viewport');
const renderedSeqs = () => [...document.querySelectorAll('.log-row')].map((row) => Number(row.getAttribute('data-seq')));

function scrollTo(top: number) {
  viewport().scrollTop = top;
  fireEvent.scroll(viewport());
}

describe('LogConsole', () => {
  it('renders only the rows in view when it holds 100,000 lines', () => {
    render(<LogConsole lines={makeLines(100_000)} />);
    const rows = document.querySelectorAll('.log-row').length;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(100);
    expect(screen.getByText('100000 lines')).toBeTruthy();
  });

  it('follows the tail: opens scrolled to the bottom, showing the last line', () => {
    render(<LogConsole lines={makeLines(1_000)} />);
    expect(viewport().scrollTop).toBe(1_000 * ROW_HEIGHT);
    fireEvent.scroll(viewport());
    expect(renderedSeqs()).toContain(1_000);
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
  });

  it('stops following when the user scrolls up, counts new lines, and jumps back to the latest', () => {
    const lines = makeLines(1_000);
    const { rerender } = render(<LogConsole lines={lines} version={0} />);
    scrollTo(100 * ROW_HEIGHT);
    expect(screen.getByText('Paused: scrolled up')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Jump to latest' })).toBeTruthy();

    lines.push(...makeLines(25, 1_001));
    rerender(<LogConsole lines={lines} version={1} />);
    // Appending does not pull the view away from what the user reads.
    expect(viewport().scrollTop).toBe(100 * ROW_HEIGHT);
    const jump = screen.getByRole('button', { name: 'Jump to latest (25 new)' });

    fireEvent.click(jump);
    expect(viewport().scrollTop).toBe(1_025 * ROW_HEIGHT);
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
    expect(screen.getByText('Following the latest lines')).toBeTruthy();

    lines.push(...makeLines(5, 1_026));
    rerender(<LogConsole lines={lines} version={2} />);
    expect(viewport().scrollTop).toBe(1_030 * ROW_HEIGHT);
  });

  it('resumes following when the user scrolls back to the bottom', () => {
    render(<LogConsole lines={makeLines(500)} />);
    scrollTo(0);
    expect(screen.getByRole('button', { name: 'Jump to latest' })).toBeTruthy();
    scrollTo(500 * ROW_HEIGHT - VIEWPORT_HEIGHT);
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
  });

  it('filters by level with toggle buttons that show counts', () => {
    render(<LogConsole lines={makeLines(40)} />);
    const error = screen.getByRole('button', { name: /^ERROR/ });
    expect(error.getAttribute('aria-pressed')).toBe('true');
    expect(error.textContent).toBe('ERROR 10');

    for (const level of ['DEBUG', 'INFO', 'WARNING']) fireEvent.click(screen.getByRole('button', { name: new RegExp(`^${level}`) }));
    expect(screen.getByRole('button', { name: /^INFO/ }).getAttribute('aria-pressed')).toBe('false');
    expect(screen.getByText('10 of 40 lines')).toBeTruthy();
    const levels = [...document.querySelectorAll('.log-row .log-level')].map((cell) => cell.textContent);
    expect(new Set(levels)).toEqual(new Set(['ERROR']));
  });

  it('searches case-insensitively and highlights the matches', () => {
    render(<LogConsole lines={makeLines(100)} />);
    fireEvent.change(screen.getByRole('searchbox'), { target: { value: 'CHECKPOINT' } });
    expect(screen.getByText('10 of 100 lines')).toBeTruthy();
    expect(renderedSeqs()).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(document.querySelectorAll('.log-row mark')[0].textContent).toBe('checkpoint');
  });

  it('keeps filtering lines appended later, and colours them by stream', () => {
    const lines = makeLines(10);
    const { rerender } = render(<LogConsole lines={lines} version={0} />);
    fireEvent.change(screen.getByRole('searchbox'), { target: { value: 'special' } });
    expect(screen.getByText('No line matches the filter.')).toBeTruthy();
    act(() => {
      lines.push({ seq: 11, stream: 'STDERR', level: 'WARNING', text: 'a special warning', time: '2026-01-01T12:00:01.000Z' });
    });
    rerender(<LogConsole lines={lines} version={1} />);
    expect(renderedSeqs()).toEqual([11]);
    expect(document.querySelector('.log-row')!.className).toContain('stream-stderr');
    expect(document.querySelector('.log-row')!.className).toContain('level-warning');
  });

  it('offers earlier lines when there are some', () => {
    let asked = 0;
    render(<LogConsole lines={makeLines(10, 500)} hasEarlier onLoadEarlier={() => asked++} />);
    fireEvent.click(screen.getByRole('button', { name: 'Load earlier lines' }));
    expect(asked).toBe(1);
  });
});
