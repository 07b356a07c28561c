package io.fluxgate.users;

import java.util.regex.Pattern;

/**
 * The shape a user identity must have: an e-mail address (the reference's identity, and where reset links are
 * mailed): a dot-atom local part, {@code @}, a domain of dot-separated labels; never a space or control character.
 */
final class EmailAddress {

  /** The longest address SMTP carries (RFC 5321: 254 characters in a path). */
  static final int MAX_LENGTH = 254;

  // Letters and digits of any script, so internationalised addresses pass; no quoted local parts, no IP literals.
  private static final String ATOM = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+";
  private static final String LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?";
  private static final Pattern SHAPE =
      Pattern.compile(ATOM + "(?:\\." + ATOM + ")*@" + LABEL + "(?:\\." + LABEL + ")*");

  private EmailAddress() {}

  static boolean isValid(String text) {
    return text != null && text.length() <= MAX_LENGTH && SHAPE.matcher(text).matches();
  }
}
