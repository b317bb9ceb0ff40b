package paylinks.guard;

import java.util.Locale;

/**
 * The rule the local emulators' guards share (DynamoDBLocal.java,
 * ElasticMQ.java; moto.py says the same in Python): a local emulator serves
 * programs on this machine, never a web page, so it answers 403, without any
 * CORS header, to what a browser sends on a page's behalf:
 *
 * <ul>
 *   <li>a CORS preflight (OPTIONS);
 *   <li>a request with an Origin header (browsers send one with every
 *       cross-origin request and every POST);
 *   <li>a request whose Sec-Fetch-Site is neither same-origin nor none (a
 *       cross-site image, form or script);
 *   <li>a request whose Host is not a loopback name: a page whose own name
 *       was rebound to 127.0.0.1 (DNS rebinding) would otherwise be same-origin.
 * </ul>
 *
 * <p>Loopback names: localhost, 127.x.y.z, [::1], and LocalStack's
 * localhost.localstack.cloud and the names under it (public DNS answers
 * 127.0.0.1 for them; LocalStack forwards its clients' Host to the DynamoDB
 * Local it runs).
 *
 * SDKs and curl send none of these.
 */
final class Refusal {
  static final String LOOPBACK = "127.0.0.1";
  private static final String LOCALSTACK_HOSTNAME = "localhost.localstack.cloud";

  private Refusal() {}

  /** Why the request is refused, or null when it may pass. */
  static String of(String method, String origin, String fetchSite, String host) {
    if ("OPTIONS".equalsIgnoreCase(method)) {
      return "CORS preflight refused: this local emulator serves no web page";
    }
    if (origin != null) {
      return "request with an Origin header refused: this local emulator serves no web page";
    }
    if (fetchSite != null && !fetchSite.equalsIgnoreCase("same-origin") && !fetchSite.equalsIgnoreCase("none")) {
      return "request with Sec-Fetch-Site: " + fetchSite + " refused: this local emulator serves no web page";
    }
    if (host != null && !host.isEmpty() && !loopbackHost(host)) {
      return "Host " + host + " refused: this local emulator answers loopback names only";
    }
    return null;
  }

  /** A loopback name (see above), with or without a port. */
  static boolean loopbackHost(String hostport) {
    String h = hostport.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 && h.substring(1, end).equals("::1") && portOnly(h.substring(end + 1));
    }
    int colon = h.indexOf(':');
    if (colon >= 0) {
      if (!portOnly(h.substring(colon))) {
        return false;
      }
      h = h.substring(0, colon);
    }
    if (h.equals("localhost") || h.equals(LOCALSTACK_HOSTNAME) || h.endsWith("." + LOCALSTACK_HOSTNAME)) {
      return true;
    }
    String[] parts = h.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** "" or ":digits". */
  private static boolean portOnly(String s) {
    return s.isEmpty() || (s.length() > 1 && s.charAt(0) == ':' && s.substring(1).chars().allMatch(Character::isDigit));
  }
}
