package dev.errand.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/** The filter in embedded Tomcat 11 (Servlet 6.1). */
class TomcatAfterResponseFilterTest extends AfterResponseFilterContract {
  private Tomcat tomcat;

  @Override
  protected int start(List<Filter> filters, HttpServlet servlet) throws Exception {
    Path base = Files.createTempDirectory("errand-tomcat");
    tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    tomcat.setHostname("127.0.0.1");
    tomcat.setPort(0);
    tomcat.getConnector().setProperty("address", "127.0.0.1");
    Context context = tomcat.addContext("", base.toString());
    int n = 0;
    for (Filter f : filters) {
      String name = "filter-" + n++;
      FilterDef def = new FilterDef();
      def.setFilterName(name);
      def.setFilter(f);
      def.setAsyncSupported("true");
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName(name);
      map.addURLPattern("/*");
      map.setDispatcher("REQUEST");
      map.setDispatcher("ASYNC");
      context.addFilterMap(map);
    }
    Wrapper app = Tomcat.addServlet(context, "app", servlet);
    app.setAsyncSupported(true);
    context.addServletMappingDecoded("/*", "app");
    tomcat.start();
    return tomcat.getConnector().getLocalPort();
  }

  @Override
  protected void stop() throws Exception {
    tomcat.stop();
    tomcat.destroy();
  }
}
