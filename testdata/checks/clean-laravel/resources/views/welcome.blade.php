<h1>Hello from Lambda</h1>
