// Command-line options for the bench runners: `--name value` and `--flag`, removed from `args` as
// they are read, so what remains are the positional arguments.
export function takeOption(args, name, dflt) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

export function takeFlag(args, name) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}
