import { dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import { Role } from '../db/types.ts';
import { parseInput, string } from '../validation.ts';

/** The most common passwords (zxcvbn-ts's list, about 49,000), lower-cased, made on first use. */
let common: Set<string> | undefined;
const commonPasswords = () => {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
};

export const userName = string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(100, 'must be at most 100 characters')
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'may hold only letters, digits and . _ @ -');

/**
 * The one password rule, for every path that sets one (create, reset,
 * change, the first administrator, the CLI): 12 to 1024 characters, and not
 * one of the most common passwords.
 */
export const password = string()
  .min(12, 'must be at least 12 characters')
  .max(1024, 'must be at most 1024 characters')
  .refine(
    // Only a password of allowed length is looked up: one problem at a time.
    (p) => p.length < 12 || p.length > 1024 || !commonPasswords().has(p.toLowerCase()),
    'is too common: choose one that is not on lists of leaked passwords',
  );

export const email = string().trim().max(320).email('must be an email address');
export const displayName = string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
export const roles = z.array(z.enum(Role)).max(Object.keys(Role).length);
const userId = z.string().trim().uuid('must be a user id');

export const createUserInput = z.object({
  userName,
  password,
  email: email.nullish(),
  displayName: displayName.nullish(),
  roles: roles.nullish(),
});

export const updateUserInput = z.object({
  email: email.nullish(),
  displayName: displayName.nullish(),
});

/** A user id (UUID) from input; BAD_USER_INPUT otherwise. */
export function parseUserId(id: unknown, field = 'id'): string {
  return parseInput(userId, id, field);
}

/** A new password by the rule of every transport; BAD_USER_INPUT otherwise. */
export function parseNewPassword(value: unknown, field = 'newPassword'): string {
  return parseInput(password, value, field);
}
