package webui

func (s *server) routesModeration(h func(string, handler)) {
}
