package paylinks.guard;

import java.lang.reflect.Field;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local on 127.0.0.1, refusing what a web page sends (see Refusal).
 *
 * <p>emulators.sh compiles it with Refusal.java against the jar and runs it
 * in place of the jar's main, with DynamoDB Local's own options (-dbPath,
 * -port, -sharedDb, -inMemory, ...). It builds the server as the jar's main
 * does (ServerRunner.createServerFromCommandLineArgs); before starting it,
 * it binds the Jetty connector to 127.0.0.1 (the jar has no bind option and
 * listens on every interface: anyone on the network could read and write
 * the tables) and puts the guard in front of DynamoDB Local's handler. When
 * the server is not of the shape this expects (another DynamoDB Local), it
 * stops rather than serve unguarded.
 */
public final class DynamoDBLocal {
  private DynamoDBLocal() {}

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server server = jetty(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) {
      throw new IllegalStateException("DynamoDB Local's server has no connector to bind to " + Refusal.LOOPBACK);
    }
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector)) {
        throw new IllegalStateException("DynamoDB Local's connector is a " + c.getClass().getName()
            + ", not a ServerConnector: cannot bind it to " + Refusal.LOOPBACK);
      }
      ((ServerConnector) c).setHost(Refusal.LOOPBACK);
    }
    Handler inner = server.getHandler();
    server.setHandler((Handler) null);
    server.setHandler(new Guard(inner));
    // start() prints why and stops the server when the port is taken; join()
    // then returns and the process exits.
    proxy.start();
    System.out.println("DynamoDB Local on " + Refusal.LOOPBACK + ", refusing requests from web pages");
    proxy.join();
  }

  /** The Jetty server inside DynamoDB Local's proxy (a private field). */
  static Server jetty(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
    for (Field f : DynamoDBProxyServer.class.getDeclaredFields()) {
      if (f.getType() == Server.class) {
        f.setAccessible(true);
        return (Server) f.get(proxy);
      }
    }
    throw new NoSuchFieldException("no Jetty Server field in " + DynamoDBProxyServer.class.getName());
  }

  /** Answers 403 to what Refusal refuses, passes the rest to DynamoDB Local. */
  static final class Guard extends Handler.Wrapper {
    Guard(Handler inner) {
      super(inner);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String host = request.getHeaders().get(HttpHeader.HOST);
      if (host == null) {
        host = request.getHttpURI().getAuthority();
      }
      String why = Refusal.of(request.getMethod(), request.getHeaders().get(HttpHeader.ORIGIN),
          request.getHeaders().get("Sec-Fetch-Site"), host);
      if (why == null) {
        return super.handle(request, response, callback);
      }
      response.setStatus(403);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      Content.Sink.write(response, true, why + "\n", callback);
      return true;
    }
  }
}
