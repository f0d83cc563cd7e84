/** Borderless columns (like kubectl's and patronictl's lists): easy to read, easy to grep. */
const borderless = Object.fromEntries(
  [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
    'left',
    'left-mid',
    'mid',
    'mid-mid',
    'right',
    'right-mid',
  ].map((part) => [part, '']),
);

/** cli-table3 options for clusterctl's tables: two spaces between columns, nothing else. */
export const PLAIN_TABLE = {
  chars: { ...borderless, middle: '  ' },
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
};
