// Checks run as the administrator types. The limits that vary (the longest token, the roles
// this administrator may grant) come from the server (`me`); the fixed ones repeat the
// server's input rules (src/users/input.ts, src/service-accounts/service.ts), and whatever the
// server still refuses (a common password, a taken name) is shown next to its field.

export const ROLES = [
  { value: 'AUDITOR', label: 'Auditor', about: 'Reads issues; changes nothing.' },
  { value: 'ISSUE_MANAGER', label: 'Issue manager', about: 'Creates, updates, closes and deletes issues.' },
  { value: 'ADMINISTRATOR', label: 'Administrator', about: 'Manages users, roles and service accounts.' },
];
export const roleLabel = (value) => ROLES.find((r) => r.value === value)?.label ?? value;

/** Each check answers an error text, or '' when the value is fine. */
export function days(value, max) {
  if (value.trim() === '') return 'Enter a number of days.';
  if (!/^\d+$/.test(value.trim())) return 'Enter whole days, as digits.';
  const n = Number(value);
  if (n < 1) return 'At least 1 day.';
  if (n > max) return `At most ${max} days on this server.`;
  return '';
}

export function purpose(value) {
  const n = value.trim().length;
  if (n < 3) return 'Say what the token is for, in at least 3 characters.';
  if (n > 500) return `At most 500 characters (now ${n}).`;
  return '';
}

export function userName(value) {
  const v = value.trim();
  if (v.length < 3) return 'At least 3 characters.';
  if (v.length > 100) return 'At most 100 characters.';
  if (!/^[\p{L}\p{N}._@-]+$/u.test(v)) return 'Only letters, digits and . _ @ - (no spaces).';
  return '';
}

export function password(value) {
  if (value.length < 12) return `At least 12 characters (now ${value.length}).`;
  if (value.length > 1024) return 'At most 1024 characters.';
  return '';
}

export function email(value) {
  const v = value.trim();
  if (v === '') return '';
  if (v.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'Enter an email address, like name@example.com.';
  return '';
}

export function displayName(value) {
  return value.trim().length > 200 ? 'At most 200 characters.' : '';
}

export function someRole(chosen) {
  return chosen.length === 0 ? 'Choose at least one role.' : '';
}
