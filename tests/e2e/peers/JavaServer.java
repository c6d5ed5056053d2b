// JavaServer: the JDK's HttpsServer with setNeedClientAuth(true), for test_client_peers_test.py. Runs as
// a single source file (java JavaServer.java PORT CERT KEY CA); reads the PEM files itself, so no keytool.
// With the port alone it is the JDK's plain HttpServer, which waits for a request line that ends in CRLF.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

public class JavaServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    if (args.length == 1) {
      HttpServer plain = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
      plain.createContext("/", JavaServer::hello);
      plain.start();
      return;
    }
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    Certificate[] chain;
    try (FileInputStream in = new FileInputStream(args[1])) {
      chain = factory.generateCertificates(in).toArray(new Certificate[0]);
    }
    String pem = Files.readString(Path.of(args[2]), StandardCharsets.US_ASCII);
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    String algorithm = chain[0].getPublicKey().getAlgorithm();
    PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));

    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    identity.setKeyEntry("server", key, new char[0], chain);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(identity, new char[0]);

    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    try (FileInputStream in = new FileInputStream(args[3])) {
      int i = 0;
      for (Certificate ca : factory.generateCertificates(in)) anchors.setCertificateEntry("ca" + i++, ca);
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(anchors);

    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(context) {
      @Override
      public void configure(HttpsParameters parameters) {
        javax.net.ssl.SSLParameters ssl = context.getDefaultSSLParameters();
        ssl.setNeedClientAuth(true);
        parameters.setSSLParameters(ssl);
      }
    });
    server.createContext("/", JavaServer::hello);
    server.start();
  }

  static void hello(HttpExchange exchange) throws java.io.IOException {
    String name = "(no certificate)";
    if (exchange instanceof HttpsExchange) {
      SSLSession session = ((HttpsExchange) exchange).getSSLSession();
      try {
        name = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
      } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
        // no client certificate: the name stays as it is
      }
    }
    byte[] body = ("hello " + name + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }
}
