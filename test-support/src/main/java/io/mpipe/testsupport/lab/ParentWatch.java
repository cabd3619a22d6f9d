package io.mpipe.testsupport.lab;

import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs a main class in a process that ends with the process that started it:
 * {@code ParentWatch PARENT_PID MAIN_CLASS [args ...]}. A test that is killed leaves no service
 * running on a host of its lab ({@link System#exit} runs the service's own shutdown).
 */
public final class ParentWatch {

    private ParentWatch() {
    }

    public static void main(String[] args) throws Exception {
        long parent = Long.parseLong(args[0]);
        ProcessHandle.of(parent).ifPresentOrElse(p -> p.onExit().thenRun(() -> System.exit(143)),
                () -> System.exit(143));
        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }
}
